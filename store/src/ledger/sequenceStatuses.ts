import { StoreError } from '../errors';
import type { Transaction } from '../pool/types';
import { deviceIdKey, sequenceNumber } from '../values';
import type { SequenceStatus } from './sequenceGaps';

/*
 * The heads of the batch's known devices locked first, in DeviceID order (as every writer locks them), so that the
 * statuses read below are what the rest of the caller's transaction writes against; then each number's status
 * against the ledger of its kind and the device's gaps, in one statement.
 */
/*
 * A device with no head row yet has nothing to lock: two callers judging its first numbers are serialised by a
 * transaction advisory lock per device (two-key space, namespace SEQUENCE_STATUS_LOCK_SPACE), in DeviceID order.
 */
const LOCK_DEVICES = {
  name: 'store.ledger.lockDevices',
  text: `SELECT count(pg_advisory_xact_lock($2::int, hashtext(d))) FROM (SELECT d FROM unnest($1::text[]) AS u(d) ORDER BY d) s`,
};
const LOCK_HEADS = {
  name: 'store.ledger.lockHeads',
  text: `SELECT device_id FROM sequence_heads WHERE device_id = ANY($1::text[]) ORDER BY device_id FOR UPDATE`,
};
const STATUSES = {
  name: 'store.ledger.statuses',
  text: `SELECT i.ord, l.seq AS last,
                EXISTS (SELECT 1 FROM sequence_gaps g WHERE g.device_id = i.device_id AND g.from_seq <= i.seq
                        AND g.to_seq >= i.seq) AS in_gap
         FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS i(device_id, seq, ord)
         LEFT JOIN sequence_ledger l ON l.device_id = i.device_id AND l.kind = $3
         ORDER BY i.ord`,
};

/** The first key of the advisory locks {@link sequenceStatuses} takes per device (the second: the DeviceID's hash). */
export const SEQUENCE_STATUS_LOCK_SPACE = 0x5e05;

/**
 * The replay status of many messages of one kind ({@link sequenceStatus} for each: `new`, `fills-gap` or `replay`,
 * with the ledger's `last`), in the caller's transaction, after locking the devices' head rows in DeviceID order:
 * until that transaction ends no other instance moves these devices' ledgers or gaps, so what the caller then writes
 * (a telemetry batch without its replays) is judged against the state it commits on. Every number is compared with
 * the ledger as it was before the batch (numbers of one device in a batch are the caller's to order). Callers of this
 * function judging a device's first numbers (no head row yet) are serialised by a transaction advisory lock per
 * device.
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   const statuses = await sequenceStatuses(tx, 'telemetry', messages.map((m) => m.deviceId), messages.map((m) => m.seq))
 *   await recordTelemetryBatch(tx, { cid, messages: messages.filter((_, i) => statuses[i].status !== 'replay') })
 * })
 */
export async function sequenceStatuses(
  tx: Transaction,
  kind: string,
  deviceIds: readonly string[],
  seqs: readonly number[],
): Promise<SequenceStatus[]> {
  if (deviceIds.length !== seqs.length) {
    throw new StoreError('Invalid sequence statuses.', {
      details: `${deviceIds.length} DeviceIDs for ${seqs.length} sequence numbers`,
    });
  }
  if (deviceIds.length === 0) return [];
  const devices = deviceIds.map((deviceId) => deviceIdKey(deviceId));
  const numbers = seqs.map((seq) => sequenceNumber(seq, 'sequence number'));
  const sorted = [...new Set(devices)].sort();
  await tx.query(LOCK_DEVICES, [sorted, SEQUENCE_STATUS_LOCK_SPACE]);
  await tx.query(LOCK_HEADS, [sorted]);
  const { rows } = await tx.query<{ last: number | null; in_gap: boolean }>(STATUSES, [devices, numbers, kind]);
  return rows.map((row, index) => {
    const last = row.last ?? undefined;
    if (row.in_gap) return { status: 'fills-gap', last };
    return { status: last !== undefined && numbers[index]! <= last ? 'replay' : 'new', last };
  });
}
