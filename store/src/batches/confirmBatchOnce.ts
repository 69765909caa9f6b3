import type { Db } from '../pool/withTransaction';
import { hashKey, toDate, type Row } from '../values';
import { getBatchByRoot } from './getBatch';
import type { BatchConfirmation } from './markBatch';
import { batchFromRow, type IndexedBatch } from './types';

const CONFIRM_ONCE = {
  name: 'store.batches.confirmOnce',
  text: `UPDATE batches SET status = 'confirmed', tx_hash = $2, block = $3, gas_used = coalesce($4, gas_used),
           chain_batch_id = coalesce($5, chain_batch_id), confirmed_at = coalesce(confirmed_at, $6), failure = NULL
         WHERE id = $1 AND status <> 'confirmed' RETURNING *`,
};

/**
 * Confirms batch `id` unless it is confirmed already: the batch as confirmed now, or undefined when another writer
 * (this or another instance's anchorer, the chain mirror on `BatchAnchored`) confirmed it first. Concurrent callers
 * wait for each other on the row (read committed re-reads it), so exactly one gets the batch: the one that records
 * the `anchored` event, in the same transaction.
 *
 * @example
 * const batch = await confirmBatchOnce(tx, id, { txHash: receipt.hash, block: receipt.blockNumber })
 * if (batch !== undefined) await recordEvent(tx, { kind: 'anchored', payload: { batchId: batch.id } })
 */
export async function confirmBatchOnce(
  db: Db,
  id: number,
  confirmation: BatchConfirmation,
): Promise<IndexedBatch | undefined> {
  const { rows } = await db.query<Row>(CONFIRM_ONCE, [
    id,
    hashKey(confirmation.txHash, 'transaction hash'),
    confirmation.block,
    confirmation.gasUsed === undefined ? null : confirmation.gasUsed.toString(),
    confirmation.chainBatchId ?? null,
    toDate(confirmation.confirmedAt ?? Date.now(), 'confirmation time'),
  ]);
  return rows[0] === undefined ? undefined : batchFromRow(rows[0]);
}

/**
 * {@link confirmBatchOnce} by Merkle root (the chain mirror's `BatchAnchored`): undefined for a root no instance
 * batched, or a batch already confirmed.
 *
 * @example
 * const batch = await confirmBatchByRootOnce(tx, event.root, { txHash, block, chainBatchId: event.batchId })
 */
export async function confirmBatchByRootOnce(
  db: Db,
  root: string,
  confirmation: BatchConfirmation,
): Promise<IndexedBatch | undefined> {
  const batch = await getBatchByRoot(db, root);
  return batch === undefined ? undefined : confirmBatchOnce(db, batch.id, confirmation);
}
