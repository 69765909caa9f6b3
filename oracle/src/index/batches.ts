import type { Hex } from '../../../twin-core/src/encoding/hex';
import { IndexError } from './errors';
import type { Index } from './openIndex';
import { deviceIdKey, hashKey, pageSize, toIso, toMillis, type Row, type TimeInput } from './values';

/** Where a batch stands: collecting leaves, sent in a transaction, final on chain, or given up on. */
export const BATCH_STATUSES = ['open', 'submitted', 'confirmed', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** A batch of snapshot leaves and its anchoring. */
export type IndexedBatch = {
  /** The oracle's own number for the batch (not the contract's batch ID). */
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
 * Creates a batch (status `open` unless given) and returns it.
 *
 * @example
 * const batch = createBatch(index, { leafCount: 0 })
 */
export function createBatch(
  index: Index,
  batch: { root?: string; manifestCid?: string; leafCount?: number; status?: BatchStatus; createdAt?: TimeInput } = {},
): IndexedBatch {
  const { lastInsertRowid } = index
    .statement('INSERT INTO batches (root, manifest_cid, leaf_count, status, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(
      batch.root === undefined ? null : hashKey(batch.root, 'root'),
      batch.manifestCid ?? null,
      batch.leafCount ?? 0,
      checkStatus(batch.status ?? 'open'),
      toMillis(batch.createdAt ?? Date.now(), 'creation time'),
    );
  return getBatch(index, Number(lastInsertRowid))!;
}

/** A snapshot offered to {@link claimBatchSnapshots}. */
export type BatchCandidate = { deviceId: string | bigint; seq: number };

/** What {@link claimBatchSnapshots} claimed: the new batch, and the candidates it holds, in leaf order. */
export type BatchClaim = {
  batch: IndexedBatch;
  /** Positions in the candidate list of the claimed snapshots; leaf `i` of the batch is `candidates[positions[i]]`. */
  positions: number[];
};

/**
 * Claims snapshots for a new batch, in one synchronous transaction: creates the batch (`open`, no root yet) and
 * gives each candidate still in no batch its `batch_id` and leaf index (its place among the claimed ones). A
 * snapshot already claimed, by this batch or any other, or unknown, is left out; undefined when none is left. Call
 * it before any await: from then on no other claim can take these snapshots (the schema refuses to move a snapshot
 * to a second batch), and the leaf order is fixed, so anchoring after a crash rebuilds the same root.
 *
 * @example
 * const claim = claimBatchSnapshots(index, pending.map((s) => ({ deviceId: s.deviceId, seq: Number(s.sequence) })))
 * if (claim !== undefined) leaves = claim.positions.map((position) => pending[position])
 */
export function claimBatchSnapshots(
  index: Index,
  candidates: readonly BatchCandidate[],
  options: { createdAt?: TimeInput } = {},
): BatchClaim | undefined {
  return index.transaction(() => {
    let batchId: number | undefined;
    const positions: number[] = [];
    candidates.forEach((candidate, position) => {
      const deviceId = deviceIdKey(candidate.deviceId);
      if (batchId === undefined) {
        const row = index
          .statement('SELECT batch_id FROM snapshots WHERE device_id = ? AND seq = ?')
          .get(deviceId, candidate.seq) as { batch_id: number | null } | undefined;
        if (row === undefined || row.batch_id !== null) return;
        batchId = createBatch(index, { createdAt: options.createdAt ?? Date.now() }).id;
      }
      const { changes } = index
        .statement(
          'UPDATE snapshots SET batch_id = ?, leaf_index = ? WHERE device_id = ? AND seq = ? AND batch_id IS NULL',
        )
        .run(batchId, positions.length, deviceId, candidate.seq);
      if (Number(changes) === 1) positions.push(position);
    });
    if (batchId === undefined) return undefined;
    index.statement('UPDATE batches SET leaf_count = ? WHERE id = ?').run(positions.length, batchId);
    return { batch: getBatch(index, batchId)!, positions };
  });
}

/**
 * Records a claimed batch's Merkle root, its manifest's CID (the first one stored is kept: a resumed batch keeps
 * its manifest) and each leaf's proof, in leaf order, in one transaction.
 *
 * @example
 * recordBatchTree(index, claim.batch.id, { root: tree.root, manifestCid, proofs: leaves.map((_, i) => tree.proof(i)) })
 */
export function recordBatchTree(
  index: Index,
  id: number,
  tree: { root: string; manifestCid: string; proofs: readonly (readonly string[])[] },
): IndexedBatch {
  return index.transaction(() => {
    const batch = change(
      index,
      id,
      `UPDATE batches SET root = ?, manifest_cid = coalesce(manifest_cid, ?), leaf_count = ?
       WHERE id = ? AND (root IS NULL OR root = ?)`,
      hashKey(tree.root, 'root'),
      tree.manifestCid,
      tree.proofs.length,
      id,
      hashKey(tree.root, 'root'),
    );
    const update = index.statement('UPDATE snapshots SET proof = ? WHERE batch_id = ? AND leaf_index = ?');
    tree.proofs.forEach((proof, leafIndex) => {
      const { changes } = update.run(JSON.stringify(proof.map((node) => hashKey(node, 'proof node'))), id, leafIndex);
      if (Number(changes) !== 1) {
        throw new IndexError('The batch does not hold this leaf.', { details: `batch ${id} has no leaf ${leafIndex}` });
      }
    });
    return batch;
  });
}

/**
 * Records that a batch's root was sent to the chain in transaction `txHash`.
 *
 * @example
 * markBatchSubmitted(index, batch.id, { root: tree.root, manifestCid, leafCount: tree.leafCount, txHash: tx.hash })
 */
export function markBatchSubmitted(
  index: Index,
  id: number,
  submission: { root: string; manifestCid: string; leafCount: number; txHash: string },
): IndexedBatch {
  return change(
    index,
    id,
    `UPDATE batches SET status = 'submitted', root = ?, manifest_cid = ?, leaf_count = ?, tx_hash = ?, failure = NULL
     WHERE id = ? AND status <> 'confirmed'`,
    hashKey(submission.root, 'root'),
    submission.manifestCid,
    submission.leafCount,
    hashKey(submission.txHash, 'transaction hash'),
    id,
  );
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
 * Marks a batch confirmed.
 *
 * @example
 * markBatchConfirmed(index, batch.id, { txHash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed })
 */
export function markBatchConfirmed(index: Index, id: number, confirmation: BatchConfirmation): IndexedBatch {
  return change(
    index,
    id,
    `UPDATE batches SET status = 'confirmed', tx_hash = ?, block = ?, gas_used = coalesce(?, gas_used),
       chain_batch_id = coalesce(?, chain_batch_id), confirmed_at = coalesce(confirmed_at, ?), failure = NULL
       WHERE id = ?`,
    hashKey(confirmation.txHash, 'transaction hash'),
    confirmation.block,
    confirmation.gasUsed === undefined ? null : confirmation.gasUsed.toString(),
    confirmation.chainBatchId ?? null,
    toMillis(confirmation.confirmedAt ?? Date.now(), 'confirmation time'),
    id,
  );
}

/**
 * Marks the batch with Merkle root `root` confirmed, if the index knows it (the chain mirror calls this on
 * `BatchAnchored`); undefined for a root this oracle never batched.
 *
 * @example
 * confirmBatchByRoot(index, event.root, { txHash: event.tx, block: event.block, chainBatchId: event.batchId })
 */
export function confirmBatchByRoot(
  index: Index,
  root: string,
  confirmation: BatchConfirmation,
): IndexedBatch | undefined {
  const batch = getBatchByRoot(index, root);
  return batch === undefined ? undefined : markBatchConfirmed(index, batch.id, confirmation);
}

/**
 * Marks a batch failed, with why. A confirmed batch cannot fail.
 *
 * @example
 * markBatchFailed(index, batch.id, 'SnapshotAnchorDuplicateRoot')
 */
export function markBatchFailed(index: Index, id: number, failure: string): IndexedBatch {
  return change(
    index,
    id,
    `UPDATE batches SET status = 'failed', failure = ? WHERE id = ? AND status <> 'confirmed'`,
    failure,
    id,
  );
}

/**
 * Turns batches confirmed in blocks above `block` back to `submitted` (a chain reorganisation undid their
 * confirmation; the mirror confirms them again when their `BatchAnchored` event reappears). Returns how many.
 *
 * @example
 * unconfirmBatchesAfter(index, forkBlock)
 */
export function unconfirmBatchesAfter(index: Index, block: number): number {
  const { changes } = index
    .statement(
      `UPDATE batches SET status = 'submitted', block = NULL, chain_batch_id = NULL, confirmed_at = NULL
       WHERE status = 'confirmed' AND block > ?`,
    )
    .run(block);
  return Number(changes);
}

/**
 * The batch with the oracle's number `id`, or undefined.
 *
 * @example
 * getBatch(index, 7)?.status
 */
export function getBatch(index: Index, id: number): IndexedBatch | undefined {
  const row = index.statement('SELECT * FROM batches WHERE id = ?').get(id) as Row | undefined;
  return row === undefined ? undefined : batchFromRow(row);
}

/**
 * The batch with Merkle root `root`, or undefined.
 *
 * @example
 * getBatchByRoot(index, root)?.txHash
 */
export function getBatchByRoot(index: Index, root: string): IndexedBatch | undefined {
  const row = index.statement('SELECT * FROM batches WHERE root = ?').get(hashKey(root, 'root')) as Row | undefined;
  return row === undefined ? undefined : batchFromRow(row);
}

/**
 * Batches, oldest first, optionally only those in `status` (default limit 100, at most 1,000).
 *
 * @example
 * for (const batch of listBatches(index, { status: 'submitted' })) await track(batch)
 */
export function listBatches(index: Index, query: { status?: BatchStatus; limit?: number } = {}): IndexedBatch[] {
  const limit = pageSize(query.limit, 100, 1_000);
  const rows = (
    query.status === undefined
      ? index.statement('SELECT * FROM batches ORDER BY id LIMIT ?').all(limit)
      : index
          .statement('SELECT * FROM batches WHERE status = ? ORDER BY id LIMIT ?')
          .all(checkStatus(query.status), limit)
  ) as Row[];
  return rows.map(batchFromRow);
}

function change(index: Index, id: number, sql: string, ...values: (string | number | null)[]): IndexedBatch {
  const { changes } = index.statement(sql).run(...values);
  const batch = getBatch(index, id);
  if (batch === undefined) throw new IndexError('Unknown batch.', { details: `no batch ${id} in the index` });
  if (Number(changes) === 0) {
    throw new IndexError('The batch cannot change.', { details: `batch ${id} is already ${batch.status}` });
  }
  return batch;
}

function checkStatus(status: string): BatchStatus {
  if (!(BATCH_STATUSES as readonly string[]).includes(status)) {
    throw new IndexError('Invalid batch status.', { details: `${status} is not one of ${BATCH_STATUSES.join(', ')}` });
  }
  return status as BatchStatus;
}

function batchFromRow(row: Row): IndexedBatch {
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
    createdAt: toIso(row.created_at as number),
    confirmedAt: row.confirmed_at === null ? null : toIso(row.confirmed_at as number),
  };
}
