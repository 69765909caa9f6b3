import type { Db } from '../pool/withTransaction';
import { hashKey, pageSize, type Row } from '../values';
import { batchFromRow, checkStatus, type BatchStatus, type IndexedBatch } from './types';

/**
 * The batch with the store's number `id`, or undefined.
 *
 * @example
 * (await getBatch(store, 7))?.status
 */
export async function getBatch(db: Db, id: number): Promise<IndexedBatch | undefined> {
  const { rows } = await db.query<Row>({ name: 'store.batches.get', text: 'SELECT * FROM batches WHERE id = $1' }, [
    id,
  ]);
  return rows[0] === undefined ? undefined : batchFromRow(rows[0]);
}

/**
 * The batch with Merkle root `root`, or undefined.
 *
 * @example
 * (await getBatchByRoot(store, root))?.txHash
 */
export async function getBatchByRoot(db: Db, root: string): Promise<IndexedBatch | undefined> {
  const { rows } = await db.query<Row>(
    { name: 'store.batches.byRoot', text: 'SELECT * FROM batches WHERE root = $1' },
    [hashKey(root, 'root')],
  );
  return rows[0] === undefined ? undefined : batchFromRow(rows[0]);
}

/**
 * Batches, oldest first, optionally only those in `status` (default limit 100, at most 1,000).
 *
 * @example
 * for (const batch of await listBatches(store, { status: 'submitted' })) await track(batch)
 */
export async function listBatches(
  db: Db,
  query: { status?: BatchStatus; limit?: number } = {},
): Promise<IndexedBatch[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.batches.list',
      text: 'SELECT * FROM batches WHERE ($1::text IS NULL OR status = $1) ORDER BY id LIMIT $2',
    },
    [query.status === undefined ? null : checkStatus(query.status), pageSize(query.limit, 100, 1_000)],
  );
  return rows.map(batchFromRow);
}

/**
 * The leaves batch `id` holds: each member's DeviceID and seq, in leaf order (what a rebuild resumed skips).
 *
 * @example
 * const held = new Set((await batchMemberKeys(store, batch.id)).map(({ deviceId, seq }) => `${deviceId}#${seq}`))
 */
export async function batchMemberKeys(db: Db, id: number): Promise<{ deviceId: string; seq: number }[]> {
  const { rows } = await db.query<{ device_id: string; seq: string | number }>(
    {
      name: 'store.batches.memberKeys',
      text: 'SELECT device_id, seq FROM batch_members WHERE batch_id = $1 ORDER BY leaf_index NULLS LAST, device_id, seq',
    },
    [id],
  );
  return rows.map((row) => ({ deviceId: row.device_id, seq: Number(row.seq) }));
}
