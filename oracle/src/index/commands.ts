import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { CommandStatus } from '../../../twin-core/src/messages/command';
import type { Index } from './openIndex';
import { deviceIdKey, pageSize, toIso, type Row } from './values';

/** A command relayed to a device, and where it stands. */
export type IndexedCommand = {
  commandId: Hex;
  deviceId: Hex;
  command: string;
  args: Record<string, unknown>;
  nonce: string;
  /** Unix time, seconds. */
  expiry: number;
  signer: string;
  sig: string;
  status: CommandStatus;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
  /** Increases with every change of any command (the event feed follows it). */
  updateSeq: number;
};

/** What {@link insertCommand} takes. */
export type CommandInput = Pick<IndexedCommand, 'commandId' | 'deviceId' | 'command' | 'args' | 'nonce' | 'expiry' | 'signer' | 'sig'> & {
  createdAt: number;
  /** Most commands kept per device (default 200): the oldest go first. */
  keepPerDevice?: number;
};

const nextSeq = (index: Index) =>
  Number((index.statement('SELECT coalesce(max(update_seq), 0) + 1 AS value FROM commands').get() as Row).value);

function toCommand(row: Row): IndexedCommand {
  return {
    commandId: row.command_id as Hex,
    deviceId: row.device_id as Hex,
    command: row.command as string,
    args: JSON.parse(row.args as string) as Record<string, unknown>,
    nonce: row.nonce as string,
    expiry: Number(row.expiry),
    signer: row.signer as string,
    sig: row.sig as string,
    status: row.status as CommandStatus,
    result: row.result === null ? null : (JSON.parse(row.result as string) as Record<string, unknown>),
    error: row.error === null ? null : (JSON.parse(row.error as string) as { code: string; message: string }),
    createdAt: toIso(Number(row.created_at)),
    updatedAt: toIso(Number(row.updated_at)),
    updateSeq: Number(row.update_seq),
  };
}

/**
 * Records a command as `pending`; returns false when its ID or its nonce (for that device) is already known. Keeps
 * only the newest `keepPerDevice` commands of the device.
 *
 * @example
 * if (!insertCommand(index, { commandId, deviceId, command: 'ping', args: {}, nonce, expiry, signer, sig, createdAt: Date.now() })) conflict()
 */
export function insertCommand(index: Index, input: CommandInput): boolean {
  return index.transaction(() => {
    const { changes } = index
      .statement(
        `INSERT INTO commands (command_id, device_id, command, args, nonce, expiry, signer, sig, status, created_at,
           updated_at, update_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        input.commandId,
        deviceIdKey(input.deviceId),
        input.command,
        JSON.stringify(input.args),
        input.nonce,
        input.expiry,
        input.signer,
        input.sig,
        input.createdAt,
        input.createdAt,
        nextSeq(index),
      );
    if (Number(changes) !== 1) return false;
    index
      .statement(
        `DELETE FROM commands WHERE device_id = ?1 AND command_id NOT IN
           (SELECT command_id FROM commands WHERE device_id = ?1 ORDER BY created_at DESC, update_seq DESC LIMIT ?2)`,
      )
      .run(deviceIdKey(input.deviceId), input.keepPerDevice ?? 200);
    return true;
  });
}

/** Which status may follow which: forward only, and nothing after a final one. */
const NEXT: Record<CommandStatus, readonly CommandStatus[]> = {
  pending: ['delivered', 'succeeded', 'failed', 'expired'],
  delivered: ['succeeded', 'failed', 'expired'],
  succeeded: [],
  failed: [],
  expired: [],
};

/**
 * Moves a command to `status` (with the device's result or error) when that is a step forward; returns the updated
 * command, or undefined when it is unknown, of another device, or already past that status.
 *
 * @example
 * updateCommandStatus(index, { deviceId, commandId, status: 'succeeded', result: { intervals } , at: Date.now() })
 */
export function updateCommandStatus(
  index: Index,
  update: {
    deviceId: string;
    commandId: string;
    status: CommandStatus;
    result?: Record<string, unknown>;
    error?: { code: string; message: string };
    at: number;
  },
): IndexedCommand | undefined {
  return index.transaction(() => {
    const current = getCommand(index, update.deviceId, update.commandId);
    if (current === undefined || !NEXT[current.status].includes(update.status)) return undefined;
    index
      .statement('UPDATE commands SET status = ?, result = ?, error = ?, updated_at = ?, update_seq = ? WHERE command_id = ?')
      .run(
        update.status,
        update.result === undefined ? null : JSON.stringify(update.result),
        update.error === undefined ? null : JSON.stringify(update.error),
        update.at,
        nextSeq(index),
        update.commandId,
      );
    return getCommand(index, update.deviceId, update.commandId);
  });
}

/**
 * Marks every open command whose expiry has passed as `expired`; returns how many.
 *
 * @example
 * setInterval(() => expireCommands(index, Date.now()), 1000)
 */
export function expireCommands(index: Index, nowMs: number): number {
  const due = index
    .statement(`SELECT command_id, device_id FROM commands WHERE status IN ('pending', 'delivered') AND expiry * 1000 < ?`)
    .all(nowMs) as Row[];
  for (const row of due)
    updateCommandStatus(index, {
      deviceId: row.device_id as string,
      commandId: row.command_id as string,
      status: 'expired',
      at: nowMs,
    });
  return due.length;
}

/** One command of a device. */
export function getCommand(index: Index, deviceId: string, commandId: string): IndexedCommand | undefined {
  const row = index
    .statement('SELECT * FROM commands WHERE command_id = ? AND device_id = ?')
    .get(commandId.toLowerCase(), deviceIdKey(deviceId)) as Row | undefined;
  return row === undefined ? undefined : toCommand(row);
}

/** A device's commands, newest first (default 50, at most 200). */
export function listCommands(index: Index, deviceId: string, limit?: number): IndexedCommand[] {
  return (
    index
      .statement('SELECT * FROM commands WHERE device_id = ? ORDER BY created_at DESC, update_seq DESC LIMIT ?')
      .all(deviceIdKey(deviceId), pageSize(limit, 50, 200)) as Row[]
  ).map(toCommand);
}

/** Commands changed after `afterSeq`, in change order (the event feed). */
export function commandsChangedSince(index: Index, afterSeq: number, limit: number): IndexedCommand[] {
  return (
    index.statement('SELECT * FROM commands WHERE update_seq > ? ORDER BY update_seq LIMIT ?').all(afterSeq, limit) as Row[]
  ).map(toCommand);
}
