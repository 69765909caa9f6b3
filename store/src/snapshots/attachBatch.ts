import { StoreError } from '../errors';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, sequenceNumber } from '../values';
import type { BatchLeaf } from './types';

// NO KEY UPDATE, not UPDATE: a claimer inserting a batch_members row takes KEY SHARE on the snapshot (the foreign
// key) while holding the queue row this function deletes; FOR UPDATE would conflict with that and deadlock. So this
// read does not wait for a claim in progress: the upsert below re-checks the membership it finds.
const CURRENT = {
  name: 'store.snapshots.membership',
  text: `SELECT s.seq, m.batch_id, b.status FROM snapshots s
         LEFT JOIN batch_members m ON m.device_id = s.device_id AND m.seq = s.seq
         LEFT JOIN batches b ON b.id = m.batch_id
         WHERE s.device_id = $1 AND s.seq = $2 FOR NO KEY UPDATE OF s`,
};
const UPSERT_MEMBER = {
  name: 'store.snapshots.attach',
  text: `INSERT INTO batch_members (device_id, seq, batch_id, leaf_index, proof) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id, seq) DO UPDATE
         SET batch_id = excluded.batch_id, leaf_index = excluded.leaf_index, proof = excluded.proof
         WHERE batch_members.batch_id = excluded.batch_id
            OR EXISTS (SELECT 1 FROM batches b WHERE b.id = batch_members.batch_id AND b.status = 'failed')`,
};
const DEQUEUE = {
  name: 'store.snapshots.dequeue',
  text: 'DELETE FROM snapshot_queue WHERE device_id = $1 AND seq = $2',
};

/**
 * Attaches snapshots to batch `batchId` with their leaf index and proof, all or none (one transaction, the caller's
 * when `db` is one), and takes them off the queue of unbatched snapshots. Fails on a snapshot the store does not
 * have, or one in another batch that has not failed: an open batch is another instance's claim, which it may be
 * anchoring (SQLite's index let a snapshot move out of any batch not confirmed).
 *
 * @example
 * await attachBatch(store, batch.id, leaves.map((leaf, leafIndex) => ({ ...leaf, leafIndex, proof: tree.proof(leafIndex) })))
 */
export async function attachBatch(db: Db, batchId: number, leaves: readonly BatchLeaf[]): Promise<void> {
  await inTransaction(db, async (tx) => {
    for (const leaf of leaves) {
      const deviceId = deviceIdKey(leaf.deviceId);
      const seq = sequenceNumber(leaf.seq, 'snapshot sequence number');
      const { rows } = await tx.query<{ batch_id: number | null; status: string | null }>(CURRENT, [deviceId, seq]);
      const current = rows[0];
      if (current === undefined) {
        throw new StoreError('Unknown snapshot.', { details: `${deviceId} #${seq} is not in the store` });
      }
      if (current.batch_id !== null && current.batch_id !== batchId && current.status !== 'failed') {
        throw new StoreError('The snapshot is in another batch.', {
          details: `${deviceId} #${seq} is in ${current.status} batch ${current.batch_id}`,
        });
      }
      const proof = JSON.stringify(leaf.proof.map((node) => hashKey(node, 'proof node')));
      const upserted = await tx.query(UPSERT_MEMBER, [
        deviceId,
        seq,
        batchId,
        sequenceNumber(leaf.leafIndex, 'leaf index'),
        proof,
      ]);
      // No row: a claim committed since the read above (its insert made this one wait) holds the snapshot.
      if (upserted.rowCount !== 1) {
        throw new StoreError('The snapshot is in another batch.', {
          details: `${deviceId} #${seq} was claimed by another batch meanwhile`,
        });
      }
      await tx.query(DEQUEUE, [deviceId, seq]);
    }
  });
}
