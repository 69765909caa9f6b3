import type { Db } from '../pool/withTransaction';
import { hashKey, toDate, type Row, type TimeInput } from '../values';
import { batchFromRow, checkStatus, type BatchStatus, type IndexedBatch } from './types';

/** What {@link createBatch} takes. */
export type CreateBatchInput = {
  root?: string;
  manifestCid?: string;
  leafCount?: number;
  status?: BatchStatus;
  createdAt?: TimeInput;
};

/**
 * Creates a batch (status `open` unless given) and returns it.
 *
 * @example
 * const batch = await createBatch(store, { leafCount: 0 })
 */
export async function createBatch(db: Db, batch: CreateBatchInput = {}): Promise<IndexedBatch> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.batches.create',
      text: `INSERT INTO batches (root, manifest_cid, leaf_count, status, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING *`,
    },
    [
      batch.root === undefined ? null : hashKey(batch.root, 'root'),
      batch.manifestCid ?? null,
      batch.leafCount ?? 0,
      checkStatus(batch.status ?? 'open'),
      toDate(batch.createdAt ?? Date.now(), 'creation time'),
    ],
  );
  return batchFromRow(rows[0]!);
}
