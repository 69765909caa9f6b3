import { listBatchSnapshots } from '../snapshots/getSnapshot';
import type { IndexedSnapshot } from '../snapshots/types';
import { inTransaction, type Db } from '../pool/withTransaction';
import { pageSize, toDate, type Row, type TimeInput } from '../values';
import { batchFromRow, type IndexedBatch } from './types';

/** What {@link claimUnbatchedSnapshots} takes. */
export type ClaimSnapshotsQuery = {
  /** Snapshots at most (default 1,024, at most 65,536). */
  limit?: number;
  /** Only snapshots received at or before this time (default: any). */
  receivedBefore?: TimeInput;
  /** The new batch's creation time (default now). */
  createdAt?: TimeInput;
};

/** A new `open` batch and the snapshots claimed into it, oldest received first. */
export type ClaimedBatch = { batch: IndexedBatch; snapshots: IndexedSnapshot[] };

/*
 * One statement: pick the oldest queued snapshots, skipping rows another transaction holds (FOR UPDATE SKIP LOCKED),
 * create the batch only when something was picked, take the picked rows off the queue and record each as a member
 * of the batch. A row another claimer took and committed meanwhile is gone from the queue (its DELETE removes
 * nothing), and batch_members' primary key is the last guard: no snapshot is ever in two batches.
 */
const CLAIM = {
  name: 'store.batches.claim',
  text: `WITH picked AS MATERIALIZED (
           SELECT device_id, seq FROM snapshot_queue
           WHERE $2::timestamptz IS NULL OR received_at <= $2
           ORDER BY received_at, device_id, seq LIMIT $1 FOR UPDATE SKIP LOCKED
         ),
         batch AS (
           INSERT INTO batches (leaf_count, status, created_at)
           SELECT count(*), 'open', $3 FROM picked HAVING count(*) > 0 RETURNING *
         ),
         claimed AS (
           DELETE FROM snapshot_queue q USING picked p WHERE q.device_id = p.device_id AND q.seq = p.seq
           RETURNING q.device_id, q.seq
         ),
         members AS (
           INSERT INTO batch_members (device_id, seq, batch_id) SELECT c.device_id, c.seq, b.id FROM claimed c, batch b
           RETURNING seq
         )
         SELECT batch.*, (SELECT count(*) FROM members) AS claimed FROM batch`,
};

/**
 * Claims up to `limit` unbatched snapshots, oldest received first, into a new `open` batch, in one transaction (the
 * caller's when `db` is one). Claimers running at once, in any process, never get the same snapshot: rows another
 * claimer holds are skipped, not waited for. Undefined when no snapshot was free.
 *
 * @example
 * const claimed = await claimUnbatchedSnapshots(store, { limit: config.batchSize })
 * if (claimed) await anchor(claimed.batch, claimed.snapshots)
 */
export async function claimUnbatchedSnapshots(
  db: Db,
  query: ClaimSnapshotsQuery = {},
): Promise<ClaimedBatch | undefined> {
  const limit = pageSize(query.limit, 1_024, 65_536);
  const receivedBefore = query.receivedBefore === undefined ? null : toDate(query.receivedBefore, 'receivedBefore');
  const createdAt = toDate(query.createdAt ?? Date.now(), 'creation time');
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<Row>(CLAIM, [limit, receivedBefore, createdAt]);
    const row = rows[0];
    if (row === undefined) return undefined;
    const batch = batchFromRow(row);
    const snapshots = await listBatchSnapshots(tx, batch.id);
    if (Number(row.claimed) !== batch.leafCount || snapshots.length !== batch.leafCount) {
      // Every picked row is locked by this transaction, so each is deleted and recorded: a mismatch is a bug.
      throw new Error(`claim of batch ${batch.id}: picked ${batch.leafCount}, recorded ${String(row.claimed)}`);
    }
    return { batch, snapshots };
  });
}
