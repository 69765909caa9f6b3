import { StoreError } from '../errors';
import { inTransaction, type Db } from '../pool/withTransaction';
import { hashKey, toDate, type Row, type TimeInput } from '../values';
import { getBatch, getBatchByRoot } from './getBatch';
import { batchFromRow, type IndexedBatch } from './types';

/**
 * Records that a batch's root was sent to the chain in transaction `txHash`.
 *
 * @example
 * await markBatchSubmitted(store, batch.id, { root: tree.root, manifestCid, leafCount: tree.leafCount, txHash: tx.hash })
 */
export function markBatchSubmitted(
  db: Db,
  id: number,
  submission: { root: string; manifestCid: string; leafCount: number; txHash: string },
): Promise<IndexedBatch> {
  return change(db, id, {
    name: 'store.batches.submitted',
    text: `UPDATE batches SET status = 'submitted', root = $2, manifest_cid = $3, leaf_count = $4, tx_hash = $5,
             failure = NULL
           WHERE id = $1 AND status <> 'confirmed' RETURNING *`,
    values: [
      hashKey(submission.root, 'root'),
      submission.manifestCid,
      submission.leafCount,
      hashKey(submission.txHash, 'transaction hash'),
    ],
  });
}

/** What is known of a batch once its transaction is final. Omitted fields keep their stored value. */
export type BatchConfirmation = {
  txHash: string;
  block: number;
  gasUsed?: bigint;
  chainBatchId?: number;
  confirmedAt?: TimeInput;
};

/**
 * Marks a batch confirmed (anchored on chain); again on a confirmed batch, updates what is given.
 *
 * @example
 * await markBatchConfirmed(store, batch.id, { txHash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed })
 */
export function markBatchConfirmed(db: Db, id: number, confirmation: BatchConfirmation): Promise<IndexedBatch> {
  return change(db, id, {
    name: 'store.batches.confirmed',
    text: `UPDATE batches SET status = 'confirmed', tx_hash = $2, block = $3, gas_used = coalesce($4, gas_used),
             chain_batch_id = coalesce($5, chain_batch_id), confirmed_at = coalesce(confirmed_at, $6), failure = NULL
           WHERE id = $1 RETURNING *`,
    values: [
      hashKey(confirmation.txHash, 'transaction hash'),
      confirmation.block,
      confirmation.gasUsed === undefined ? null : confirmation.gasUsed.toString(),
      confirmation.chainBatchId ?? null,
      toDate(confirmation.confirmedAt ?? Date.now(), 'confirmation time'),
    ],
  });
}

/**
 * Marks the batch with Merkle root `root` confirmed, if the store knows it (the chain mirror calls this on
 * `BatchAnchored`); undefined for a root no instance batched.
 *
 * @example
 * await confirmBatchByRoot(store, event.root, { txHash: event.tx, block: event.block, chainBatchId: event.batchId })
 */
export async function confirmBatchByRoot(
  db: Db,
  root: string,
  confirmation: BatchConfirmation,
): Promise<IndexedBatch | undefined> {
  return inTransaction(db, async (tx) => {
    const batch = await getBatchByRoot(tx, root);
    return batch === undefined ? undefined : markBatchConfirmed(tx, batch.id, confirmation);
  });
}

/**
 * Marks a batch failed, with why. A confirmed batch cannot fail.
 *
 * @example
 * await markBatchFailed(store, batch.id, 'SnapshotAnchorDuplicateRoot')
 */
export function markBatchFailed(db: Db, id: number, failure: string): Promise<IndexedBatch> {
  return change(db, id, {
    name: 'store.batches.failed',
    text: `UPDATE batches SET status = 'failed', failure = $2 WHERE id = $1 AND status <> 'confirmed' RETURNING *`,
    values: [failure],
  });
}

/**
 * Turns batches confirmed in blocks above `block` back to `submitted` (a chain reorganisation undid their
 * confirmation). Returns how many.
 *
 * @example
 * await unconfirmBatchesAfter(store, forkBlock)
 */
export async function unconfirmBatchesAfter(db: Db, block: number): Promise<number> {
  const { rowCount } = await db.query(
    {
      name: 'store.batches.unconfirm',
      text: `UPDATE batches SET status = 'submitted', block = NULL, chain_batch_id = NULL, confirmed_at = NULL
             WHERE status = 'confirmed' AND block > $1`,
    },
    [block],
  );
  return rowCount ?? 0;
}

async function change(
  db: Db,
  id: number,
  update: { name: string; text: string; values: unknown[] },
): Promise<IndexedBatch> {
  const { rows } = await db.query<Row>({ name: update.name, text: update.text }, [id, ...update.values]);
  if (rows[0] !== undefined) return batchFromRow(rows[0]);
  const batch = await getBatch(db, id);
  if (batch === undefined) throw new StoreError('Unknown batch.', { details: `no batch ${id} in the store` });
  throw new StoreError('The batch cannot change.', { details: `batch ${id} is already ${batch.status}` });
}
