import type { CommandStatus } from '../../../twin-core/src/messages/command';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, pgJson, type Row } from '../values';
import { commandFromRow, nextUpdateSeq, type CommandStatusUpdate, type IndexedCommand } from './types';

/** Which status may follow which: forward only, and nothing after a final one. */
export const COMMAND_STATUS_NEXT: Readonly<Record<CommandStatus, readonly CommandStatus[]>> = {
  pending: ['delivered', 'succeeded', 'failed', 'expired'],
  delivered: ['succeeded', 'failed', 'expired'],
  succeeded: [],
  failed: [],
  expired: [],
};

const CURRENT = {
  name: 'store.commands.current',
  text: 'SELECT status FROM commands WHERE command_id = $1 AND device_id = $2',
};
const UPDATE = {
  name: 'store.commands.update',
  text: `UPDATE commands SET status = $3, result = $4, error = $5, updated_at = $6, update_seq = $7
         WHERE command_id = $1 AND device_id = $2 RETURNING *`,
};
const DUE = {
  name: 'store.commands.due',
  text: `SELECT command_id, device_id FROM commands
         WHERE status IN ('pending', 'delivered') AND expiry * 1000 < $1 ORDER BY update_seq`,
};

/**
 * Moves a command to `status` (with the device's result or error) when that is a step forward; returns the updated
 * command, or undefined when it is unknown, of another device, or already past that status. Instances updating one
 * command at once are serialised (the commands' write lock): one of two results for a command wins, the other is
 * refused as a step back.
 *
 * @example
 * await updateCommandStatus(store, { deviceId, commandId, status: 'succeeded', result: { intervals }, at: Date.now() })
 */
export async function updateCommandStatus(db: Db, update: CommandStatusUpdate): Promise<IndexedCommand | undefined> {
  const deviceId = deviceIdKey(update.deviceId);
  const commandId = update.commandId.toLowerCase();
  return inTransaction(db, async (tx) => {
    const seq = await nextUpdateSeq(tx);
    const { rows } = await tx.query<{ status: CommandStatus }>(CURRENT, [commandId, deviceId]);
    const current = rows[0];
    if (current === undefined || !COMMAND_STATUS_NEXT[current.status].includes(update.status)) return undefined;
    const updated = await tx.query<Row>(UPDATE, [
      commandId,
      deviceId,
      update.status,
      update.result === undefined ? null : pgJson(update.result), // a device's text: U+0000 stored as U+FFFD
      update.error === undefined ? null : pgJson(update.error),
      new Date(update.at),
      seq,
    ]);
    return commandFromRow(updated.rows[0]!);
  });
}

/**
 * Marks every open command whose expiry has passed as `expired`, in one transaction; returns how many.
 *
 * @example
 * setInterval(() => void expireCommands(store, Date.now()), 1000)
 */
export async function expireCommands(db: Db, nowMs: number): Promise<number> {
  return inTransaction(db, async (tx) => {
    await nextUpdateSeq(tx); // the lock first: what is due is read after any other writer's commit
    const { rows } = await tx.query<{ command_id: string; device_id: string }>(DUE, [nowMs]);
    let expired = 0;
    for (const row of rows) {
      const command = await updateCommandStatus(tx, {
        deviceId: row.device_id,
        commandId: row.command_id,
        status: 'expired',
        at: nowMs,
      });
      if (command !== undefined) expired += 1;
    }
    return expired;
  });
}
