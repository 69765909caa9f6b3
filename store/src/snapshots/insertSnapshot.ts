import { advanceSequenceLedger, readSequenceLedger } from '../ledger/sequenceLedger';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, sequenceNumber, toDate } from '../values';
import { getSnapshot } from './getSnapshot';
import type { IndexedSnapshot, SnapshotInput } from './types';

/** The ledger kind a snapshot advances. */
export const SNAPSHOT_LEDGER_KIND = 'snapshot';

/** What {@link insertSnapshot} returns. */
export type InsertSnapshotResult = {
  /** False when the index already had (device, seq): nothing changed. */
  inserted: boolean;
  /** The stored snapshot (compare its hash to tell a duplicate from a conflicting replay). */
  snapshot: IndexedSnapshot;
  /** The device's highest snapshot seq in the ledger before this insert (undefined: none). */
  previousSeq: number | undefined;
};

const INSERT = {
  name: 'store.snapshots.insert',
  text: `INSERT INTO snapshots (device_id, seq, collected_at, hash, cid, received_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (device_id, seq) DO NOTHING`,
};
const ENQUEUE = {
  name: 'store.snapshots.enqueue',
  text: 'INSERT INTO snapshot_queue (device_id, seq, received_at) VALUES ($1, $2, $3)',
};

/**
 * Records a snapshot, queues it for batching and advances the device's replay ledger, all in one transaction (the
 * caller's when `db` is one): the ledger never runs ahead of what is stored, and a crash loses neither or both.
 * Idempotent on (device, seq), across instances too: a redelivered snapshot changes nothing and the stored one is
 * returned with `inserted: false`.
 *
 * @example
 * const { inserted, previousSeq } = await insertSnapshot(store, { deviceId, seq, collectedAt, hash, cid })
 */
export async function insertSnapshot(db: Db, input: SnapshotInput): Promise<InsertSnapshotResult> {
  const deviceId = deviceIdKey(input.deviceId);
  const seq = sequenceNumber(input.seq, 'snapshot sequence number');
  const collectedAt = toDate(input.collectedAt, 'collection time');
  const hash = hashKey(input.hash, 'snapshot hash');
  const receivedAt = toDate(input.receivedAt ?? Date.now(), 'reception time');
  return inTransaction(db, async (tx) => {
    const { rowCount } = await tx.query(INSERT, [deviceId, seq, collectedAt, hash, input.cid, receivedAt]);
    const inserted = rowCount === 1;
    let previousSeq: number | undefined;
    if (inserted) {
      await tx.query(ENQUEUE, [deviceId, seq, receivedAt]);
      previousSeq = (await advanceSequenceLedger(tx, { deviceId, kind: SNAPSHOT_LEDGER_KIND, seq })).previous;
    } else {
      previousSeq = await readSequenceLedger(tx).last(deviceId, SNAPSHOT_LEDGER_KIND);
    }
    return { inserted, snapshot: (await getSnapshot(tx, deviceId, seq))!, previousSeq };
  });
}
