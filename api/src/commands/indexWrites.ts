import {
  advanceSequenceLedger,
  expireDueCommands,
  insertCommand,
  recordEvent,
  setDesiredState,
  setReportedState,
  updateCommandStatus,
  withTransaction,
  type CommandInput,
  type CommandStatusUpdate,
  type IndexedCommand,
  type Store,
  type Transaction,
} from '../../../store/src';
import type { DesiredState, ReportedState } from '../../../twin-core/src/messages/stateDocument';

// The API's writes to the index, each with its outbox event in the same transaction: every API instance's feed
// announces it (`command`: the command inserted or its status changed; `state-document`: a desired or reported
// state written).

const commandEvent = (tx: Transaction, deviceId: string, commandId: string) =>
  recordEvent(tx, { kind: 'command', deviceId, payload: { commandId } });
const documentEvent = (tx: Transaction, deviceId: string) =>
  recordEvent(tx, { kind: 'state-document', deviceId, payload: {} });

/**
 * Records an owner-signed command `pending`, announced; false when its ID or nonce is taken (nothing recorded).
 * `before` runs first in the same transaction (a desired-state write that must commit with the command).
 *
 * @example
 * if (!(await recordCommand(index, input))) throw conflict
 */
export async function recordCommand(
  index: Store,
  input: CommandInput,
  before?: (tx: Transaction) => Promise<void>,
): Promise<boolean> {
  const rolledBack = Symbol('taken');
  try {
    return await withTransaction(index, async (tx) => {
      await before?.(tx);
      if (!(await insertCommand(tx, input))) throw rolledBack; // undoes `before`
      await commandEvent(tx, String(input.deviceId), input.commandId);
      return true;
    });
  } catch (error) {
    if (error === rolledBack) return false;
    throw error;
  }
}

/**
 * Moves a command's status forward, announced; undefined when it is unknown or the move is not forward.
 *
 * @example
 * await changeCommandStatus(index, { deviceId, commandId, status: 'delivered', at: Date.now() })
 */
export async function changeCommandStatus(
  index: Store,
  update: CommandStatusUpdate,
): Promise<IndexedCommand | undefined> {
  return withTransaction(index, async (tx) => {
    const command = await updateCommandStatus(tx, update);
    if (command !== undefined) await commandEvent(tx, command.deviceId, command.commandId);
    return command;
  });
}

/**
 * Expires the open commands past their expiry, each announced; returns how many.
 *
 * @example
 * setInterval(() => void expireCommandsAnnounced(index, Date.now()), 1_000)
 */
export async function expireCommandsAnnounced(index: Store, nowMs: number): Promise<number> {
  return withTransaction(index, async (tx) => {
    const expired = await expireDueCommands(tx, nowMs);
    for (const command of expired) await commandEvent(tx, command.deviceId, command.commandId);
    return expired.length;
  });
}

/**
 * Compare-and-set of the desired state in the caller's transaction, announced; the new version, or undefined on a
 * conflict.
 *
 * @example
 * await writeDesiredState(tx, deviceId, desired, current.version, Date.now())
 */
export async function writeDesiredState(
  tx: Transaction,
  deviceId: string,
  desired: DesiredState,
  expectedVersion: number,
  at: number,
): Promise<number | undefined> {
  const version = await setDesiredState(tx, deviceId, desired, expectedVersion, at);
  if (version !== undefined) await documentEvent(tx, deviceId);
  return version;
}

/**
 * Records what the device reports, announced when it changed anything; whether it did.
 *
 * @example
 * await writeReportedState(index, deviceId, reportedFromStatus(status.body), Date.now())
 */
export async function writeReportedState(
  index: Store,
  deviceId: string,
  reported: ReportedState,
  at: number,
): Promise<boolean> {
  return withTransaction(index, async (tx) => {
    const changed = await setReportedState(tx, deviceId, reported, at);
    if (changed) await documentEvent(tx, deviceId);
    return changed;
  });
}

/**
 * Accounts for a device-signed reply's sequence number in the device's replay ledger and sequence gaps (kind
 * `reply`): a device numbers every message on one counter, and the oracle never sees replies, so without this each
 * answer the device gives would leave a gap that never closes.
 *
 * @example
 * await accountReply(index, deviceId, reply.seq)
 */
export async function accountReply(index: Store, deviceId: string, seq: number): Promise<void> {
  await withTransaction(index, (tx) => advanceSequenceLedger(tx, { deviceId, kind: 'reply', seq }));
}
