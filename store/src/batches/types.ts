import type { Hex } from '../../../twin-core/src/encoding/hex';
import { StoreError } from '../errors';
import { toIso, type Row } from '../values';

/** Where a batch stands: collecting leaves, sent in a transaction, final on chain, or given up on. */
export const BATCH_STATUSES = ['open', 'submitted', 'confirmed', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** A batch of snapshot leaves and its anchoring. */
export type IndexedBatch = {
  /** The store's number for the batch (not the contract's batch ID). */
  id: number;
  root: Hex | null;
  manifestCid: string | null;
  leafCount: number;
  status: BatchStatus;
  txHash: Hex | null;
  block: number | null;
  gasUsed: bigint | null;
  /** The contract's batch ID, once the `BatchAnchored` event is mirrored. */
  chainBatchId: number | null;
  /** Why the batch failed, when it did. */
  failure: string | null;
  createdAt: string;
  confirmedAt: string | null;
};

/**
 * `status` if it is a {@link BatchStatus}, else a StoreError naming it.
 *
 * @example
 * checkStatus(query.status)
 */
export function checkStatus(status: string): BatchStatus {
  if (!(BATCH_STATUSES as readonly string[]).includes(status)) {
    throw new StoreError('Invalid batch status.', { details: `${status} is not one of ${BATCH_STATUSES.join(', ')}` });
  }
  return status as BatchStatus;
}

/**
 * A `batches` row as the store returns it.
 *
 * @example
 * rows.map(batchFromRow)
 */
export function batchFromRow(row: Row): IndexedBatch {
  return {
    id: row.id as number,
    root: row.root as Hex | null,
    manifestCid: row.manifest_cid as string | null,
    leafCount: row.leaf_count as number,
    status: row.status as BatchStatus,
    txHash: row.tx_hash as Hex | null,
    block: row.block as number | null,
    gasUsed: row.gas_used === null ? null : BigInt(row.gas_used as string),
    chainBatchId: row.chain_batch_id as number | null,
    failure: row.failure as string | null,
    createdAt: toIso(row.created_at as Date),
    confirmedAt: row.confirmed_at === null ? null : toIso(row.confirmed_at as Date),
  };
}
