import { advanceSequenceLedgers } from '../ledger/advanceSequenceLedgers';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, sequenceNumber, toDate } from '../values';
import { SNAPSHOT_LEDGER_KIND } from './insertSnapshot';
import type { SnapshotInput } from './types';

/*
 * One statement for the whole set: the snapshots (duplicates skipped) and their queue rows; the foreign keys of the
 * queue rows are checked at the end of the statement, when the snapshots are in. The ledger and the gaps are then
 * advanced for each inserted snapshot (advanceSequenceLedgers, in DeviceID and seq order, so that two writers lock
 * the devices' rows in the same order).
 */
const INSERT_MANY = {
  name: 'store.snapshots.insertMany',
  text: `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::timestamptz[])
             AS t(device_id, seq, collected_at, hash, cid, received_at)
         ),
         inserted AS (
           INSERT INTO snapshots (device_id, seq, collected_at, hash, cid, received_at)
           SELECT device_id, seq, collected_at, hash, cid, received_at FROM input ORDER BY device_id, seq
           ON CONFLICT (device_id, seq) DO NOTHING
           RETURNING device_id, seq, received_at
         ),
         queued AS (
           INSERT INTO snapshot_queue (device_id, seq, received_at) SELECT device_id, seq, received_at FROM inserted
         )
         SELECT device_id, seq FROM inserted`,
};

/**
 * Records many snapshots in one insert statement and one transaction (the caller's when `db` is one), as
 * {@link insertSnapshot} does one: each new snapshot queued for batching, each device's replay ledger advanced to its
 * highest new seq and its sequence gaps accounted for, all or nothing. Duplicates (already stored, or twice in
 * `snapshots`) change nothing. Returns, in the order given, whether each was inserted.
 *
 * @example
 * const inserted = await insertSnapshots(store, accepted.map((message) => message.snapshot))
 */
export async function insertSnapshots(db: Db, snapshots: readonly SnapshotInput[]): Promise<boolean[]> {
  if (snapshots.length === 0) return [];
  const columns: [string[], number[], Date[], string[], string[], Date[]] = [[], [], [], [], [], []];
  const now = Date.now();
  for (const snapshot of snapshots) {
    columns[0].push(deviceIdKey(snapshot.deviceId));
    columns[1].push(sequenceNumber(snapshot.seq, 'snapshot sequence number'));
    columns[2].push(toDate(snapshot.collectedAt, 'collection time'));
    columns[3].push(hashKey(snapshot.hash, 'snapshot hash'));
    columns[4].push(snapshot.cid);
    columns[5].push(toDate(snapshot.receivedAt ?? now, 'reception time'));
  }
  const rows = await inTransaction(db, async (tx) => {
    const { rows: inserted } = await tx.query<{ device_id: string; seq: number }>(INSERT_MANY, columns);
    await advanceSequenceLedgers(
      tx,
      SNAPSHOT_LEDGER_KIND,
      inserted.map((row) => row.device_id),
      inserted.map((row) => row.seq),
    );
    return inserted;
  });
  const inserted = new Set(rows.map((row) => `${row.device_id}#${row.seq}`));
  // A duplicate within the call counts once: the first occurrence.
  return columns[0].map((deviceId, position) => inserted.delete(`${deviceId}#${columns[1][position]}`));
}
