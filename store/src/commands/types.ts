import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { CommandStatus } from '../../../twin-core/src/messages/command';
import type { Transaction } from '../pool/types';
import { toIso, type Row } from '../values';

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
  /** Increases with every change of any command (the event feed follows it), in commit order. */
  updateSeq: number;
};

/** What {@link insertCommand} takes. */
export type CommandInput = Pick<
  IndexedCommand,
  'commandId' | 'deviceId' | 'command' | 'args' | 'nonce' | 'expiry' | 'signer' | 'sig'
> & {
  createdAt: number;
  /** Most commands kept per device (default 200): the oldest go first. */
  keepPerDevice?: number;
};

/** What {@link updateCommandStatus} takes. */
export type CommandStatusUpdate = {
  deviceId: string;
  commandId: string;
  status: CommandStatus;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  at: number;
};

/** Serialises the writers of `commands` across instances (`pg_advisory_xact_lock`), see {@link nextUpdateSeq}. */
export const COMMANDS_LOCK_KEY = 0x7e1e_0002;

/**
 * Takes the commands' write lock for the rest of `tx` and returns the next `update_seq`. Holding the lock until
 * commit, no two instances pick the same number and the numbers commit in order: a feed reading `update_seq > n`
 * never skips a change that commits later with a smaller number.
 *
 * @example
 * const seq = await nextUpdateSeq(tx)
 */
export async function nextUpdateSeq(tx: Transaction): Promise<number> {
  await tx.query({ name: 'store.commands.lock', text: 'SELECT pg_advisory_xact_lock($1)' }, [COMMANDS_LOCK_KEY]);
  const { rows } = await tx.query<{ value: number }>({
    name: 'store.commands.nextSeq',
    text: 'SELECT coalesce(max(update_seq), 0) + 1 AS value FROM commands',
  });
  return rows[0]!.value;
}

/**
 * A command as a row of `commands` maps to it.
 *
 * @example
 * rows.map(commandFromRow)
 */
export function commandFromRow(row: Row): IndexedCommand {
  return {
    commandId: row.command_id as Hex,
    deviceId: row.device_id as Hex,
    command: row.command as string,
    args: row.args as Record<string, unknown>,
    nonce: row.nonce as string,
    expiry: Number(row.expiry),
    signer: row.signer as string,
    sig: row.sig as string,
    status: row.status as CommandStatus,
    result: (row.result ?? null) as Record<string, unknown> | null,
    error: (row.error ?? null) as { code: string; message: string } | null,
    createdAt: toIso(row.created_at as Date),
    updatedAt: toIso(row.updated_at as Date),
    updateSeq: Number(row.update_seq),
  };
}
