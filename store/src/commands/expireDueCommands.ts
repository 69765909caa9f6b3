import { inTransaction, type Db } from '../pool/withTransaction';
import type { IndexedCommand } from './types';
import { nextUpdateSeq } from './types';
import { updateCommandStatus } from './updateCommandStatus';

const DUE = {
  name: 'store.commands.dueList',
  text: `SELECT command_id, device_id FROM commands
         WHERE status IN ('pending', 'delivered') AND expiry * 1000 < $1 ORDER BY update_seq LIMIT $2`,
};

/**
 * Marks the open commands past their expiry `expired`, like `expireCommands`, and returns them (at most `limit`,
 * default 1,000, the oldest changes first), so that the caller can announce each in the same transaction (pass a
 * transaction to have them commit together).
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   for (const command of await expireDueCommands(tx, Date.now()))
 *     await recordEvent(tx, { kind: 'command', deviceId: command.deviceId, payload: { commandId: command.commandId } })
 * })
 */
export async function expireDueCommands(db: Db, nowMs: number, limit = 1_000): Promise<IndexedCommand[]> {
  return inTransaction(db, async (tx) => {
    await nextUpdateSeq(tx); // the lock first: what is due is read after any other writer's commit
    const { rows } = await tx.query<{ command_id: string; device_id: string }>(DUE, [nowMs, limit]);
    const expired: IndexedCommand[] = [];
    for (const row of rows) {
      const command = await updateCommandStatus(tx, {
        deviceId: row.device_id,
        commandId: row.command_id,
        status: 'expired',
        at: nowMs,
      });
      if (command !== undefined) expired.push(command);
    }
    return expired;
  });
}
