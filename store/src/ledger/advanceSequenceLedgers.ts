import { StoreError } from '../errors';
import type { Transaction } from '../pool/types';
import { deviceIdKey, sequenceNumber } from '../values';

const ADVANCE_MANY = {
  name: 'store.ledger.advanceMany',
  text: 'SELECT store_advance_sequences($1::text[], $2, $3::bigint[])',
};

/**
 * Advances the ledger rows of many devices for one kind, inside the caller's transaction (so that they commit or
 * roll back with what they account for), and accounts for every number in the devices' sequence gaps, as
 * {@link advanceSequenceLedger} does one number (store_advance_sequences, set-based since migration 5: three
 * statements for the whole batch, the same gap rules as each device's numbers taken one by one in increasing order):
 * `deviceIds[i]` sent `seqs[i]`. Devices are locked in DeviceID order and their numbers taken in increasing order, so two writers of
 * overlapping devices cannot deadlock. Every writer of a kind's numbers goes through this or
 * {@link advanceSequenceLedger}: the gaps count the device's one counter over every kind.
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   await tx.query(insertReadings, values)
 *   await advanceSequenceLedgers(tx, 'telemetry', readings.map((r) => r.deviceId), readings.map((r) => r.seq))
 * })
 */
export async function advanceSequenceLedgers(
  tx: Transaction,
  kind: string,
  deviceIds: readonly string[],
  seqs: readonly number[],
): Promise<void> {
  if (deviceIds.length !== seqs.length) {
    throw new StoreError('Invalid ledger advance.', {
      details: `${deviceIds.length} DeviceIDs for ${seqs.length} sequence numbers`,
    });
  }
  if (deviceIds.length === 0) return;
  await tx.query(ADVANCE_MANY, [
    deviceIds.map((deviceId) => deviceIdKey(deviceId)),
    kind,
    seqs.map((seq) => sequenceNumber(seq, 'ledger sequence number')),
  ]);
}
