import type { Hex } from '../../../twin-core/src/encoding/hex';
import { IndexError } from './errors';
import type { Index } from './openIndex';
import { hashKey, pageSize, toIso, toMillis, type Row, type TimeInput } from './values';

/** Where the import of a peer batch stands: to fetch (again), in the index, or refused for good. */
export const PEER_BATCH_STATUSES = ['pending', 'imported', 'failed'] as const;
export type PeerBatchStatus = (typeof PEER_BATCH_STATUSES)[number];

/** What a `BatchAnchored` event says of a batch another oracle instance anchored. */
export type PeerBatchEvent = {
  root: string;
  manifestCid: string;
  leafCount: number;
  /** The contract's batch ID. */
  chainBatchId: number;
  /** The anchoring oracle's address. */
  oracle: string;
  tx: string;
  block: number;
  logIndex: number;
};

/** A peer batch and its import. */
export type PeerBatch = Omit<PeerBatchEvent, 'root' | 'tx'> & {
  root: Hex;
  tx: Hex;
  status: PeerBatchStatus;
  /** Fetches tried so far. */
  attempts: number;
  /** When the next fetch is due (ISO 8601); meaningful while `pending`. */
  nextAttemptAt: string;
  /** Why the last attempt did not import it (the refusal, when `failed`). */
  failure: string | null;
  /** The index batch it became, once `imported`. */
  batchId: number | null;
  recordedAt: string;
  importedAt: string | null;
};

/**
 * Records a batch another instance anchored, `pending` and due at once. A root already recorded changes nothing;
 * true when a row was added. The chain mirror calls it for a `BatchAnchored` whose root is not in `batches`.
 *
 * @example
 * recordPeerBatch(index, { root, manifestCid, leafCount, chainBatchId, oracle, tx, block, logIndex }, Date.now())
 */
export function recordPeerBatch(index: Index, event: PeerBatchEvent, now: TimeInput = Date.now()): boolean {
  const at = toMillis(now, 'recording time');
  const { changes } = index
    .statement(
      `INSERT INTO peer_batches (root, manifest_cid, leaf_count, chain_batch_id, oracle, tx, block, log_index, status,
         next_attempt_at, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (root) DO NOTHING`,
    )
    .run(
      hashKey(event.root, 'root'),
      event.manifestCid,
      event.leafCount,
      event.chainBatchId,
      event.oracle,
      hashKey(event.tx, 'transaction hash'),
      event.block,
      event.logIndex,
      at,
      at,
    );
  return Number(changes) === 1;
}

/**
 * Pending peer batches due at `now`, in chain order (default limit 20, at most 1,000).
 *
 * @example
 * for (const batch of duePeerBatches(index, Date.now())) await importPeerBatch({ index, store, batch })
 */
export function duePeerBatches(index: Index, now: TimeInput, query: { limit?: number } = {}): PeerBatch[] {
  const rows = index
    .statement(
      `SELECT * FROM peer_batches WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY block, log_index LIMIT ?`,
    )
    .all(toMillis(now, 'now'), pageSize(query.limit, 20, 1_000)) as Row[];
  return rows.map(peerBatchFromRow);
}

/**
 * The peer batch with Merkle root `root`, or undefined.
 *
 * @example
 * getPeerBatch(index, root)?.status
 */
export function getPeerBatch(index: Index, root: string): PeerBatch | undefined {
  const row = index.statement('SELECT * FROM peer_batches WHERE root = ?').get(hashKey(root, 'root')) as
    | Row
    | undefined;
  return row === undefined ? undefined : peerBatchFromRow(row);
}

/**
 * Peer batches in chain order, optionally only those in `status` (default limit 100, at most 1,000).
 *
 * @example
 * const refused = listPeerBatches(index, { status: 'failed' })
 */
export function listPeerBatches(index: Index, query: { status?: PeerBatchStatus; limit?: number } = {}): PeerBatch[] {
  const limit = pageSize(query.limit, 100, 1_000);
  const rows = (
    query.status === undefined
      ? index.statement('SELECT * FROM peer_batches ORDER BY block, log_index LIMIT ?').all(limit)
      : index
          .statement('SELECT * FROM peer_batches WHERE status = ? ORDER BY block, log_index LIMIT ?')
          .all(checkStatus(query.status), limit)
  ) as Row[];
  return rows.map(peerBatchFromRow);
}

/**
 * Counts the failed attempt of a pending peer batch and makes it due again at `nextAttemptAt`.
 *
 * @example
 * deferPeerBatch(index, root, { failure: 'manifest not available yet', nextAttemptAt: Date.now() + 30_000 })
 */
export function deferPeerBatch(
  index: Index,
  root: string,
  retry: { failure: string; nextAttemptAt: TimeInput },
): PeerBatch {
  return change(
    index,
    root,
    `UPDATE peer_batches SET attempts = attempts + 1, failure = ?, next_attempt_at = ?
     WHERE root = ? AND status = 'pending'`,
    retry.failure,
    toMillis(retry.nextAttemptAt, 'next attempt time'),
    hashKey(root, 'root'),
  );
}

/**
 * Refuses a pending peer batch for good (its manifest is invalid or lies about the root), with why.
 *
 * @example
 * failPeerBatch(index, root, 'the manifest leaves give root 0x…, the chain anchored 0x…')
 */
export function failPeerBatch(index: Index, root: string, failure: string): PeerBatch {
  return change(
    index,
    root,
    `UPDATE peer_batches SET status = 'failed', attempts = attempts + 1, failure = ?
     WHERE root = ? AND status = 'pending'`,
    failure,
    hashKey(root, 'root'),
  );
}

/**
 * Records that a pending peer batch was imported as index batch `batchId`. Call it in the import's transaction.
 *
 * @example
 * markPeerBatchImported(index, root, batch.id, Date.now())
 */
export function markPeerBatchImported(index: Index, root: string, batchId: number, now: TimeInput): PeerBatch {
  return change(
    index,
    root,
    `UPDATE peer_batches SET status = 'imported', attempts = attempts + 1, failure = NULL, batch_id = ?,
       imported_at = ? WHERE root = ? AND status = 'pending'`,
    batchId,
    toMillis(now, 'import time'),
    hashKey(root, 'root'),
  );
}

/**
 * Undoes the peer batches anchored in blocks above `block` (a chain reorganisation removed their events): deletes
 * their rows, and for those imported the snapshots the import added and the batch it created. If an event comes
 * back, the mirror records it again and the importer imports it again. Returns how many peer batches went.
 *
 * @example
 * index.transaction(() => undoPeerBatchesAfter(index, forkBlock))
 */
export function undoPeerBatchesAfter(index: Index, block: number): number {
  return index.transaction(() => {
    const rows = index.statement('SELECT batch_id FROM peer_batches WHERE block > ?').all(block) as {
      batch_id: number | null;
    }[];
    index.statement('DELETE FROM peer_batches WHERE block > ?').run(block);
    for (const { batch_id: batchId } of rows) {
      if (batchId === null) continue;
      index.statement('DELETE FROM snapshots WHERE batch_id = ?').run(batchId);
      index.statement('DELETE FROM batches WHERE id = ?').run(batchId);
    }
    return rows.length;
  });
}

function change(index: Index, root: string, sql: string, ...values: (string | number)[]): PeerBatch {
  const { changes } = index.statement(sql).run(...values);
  const batch = getPeerBatch(index, root);
  if (batch === undefined) throw new IndexError('Unknown peer batch.', { details: `no peer batch with root ${root}` });
  if (Number(changes) === 0) {
    throw new IndexError('The peer batch cannot change.', { details: `peer batch ${root} is ${batch.status}` });
  }
  return batch;
}

function checkStatus(status: string): PeerBatchStatus {
  if (!(PEER_BATCH_STATUSES as readonly string[]).includes(status)) {
    throw new IndexError('Invalid peer batch status.', {
      details: `${status} is not one of ${PEER_BATCH_STATUSES.join(', ')}`,
    });
  }
  return status as PeerBatchStatus;
}

function peerBatchFromRow(row: Row): PeerBatch {
  return {
    root: row.root as Hex,
    manifestCid: row.manifest_cid as string,
    leafCount: Number(row.leaf_count),
    chainBatchId: Number(row.chain_batch_id),
    oracle: row.oracle as string,
    tx: row.tx as Hex,
    block: Number(row.block),
    logIndex: Number(row.log_index),
    status: row.status as PeerBatchStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: toIso(Number(row.next_attempt_at)),
    failure: row.failure as string | null,
    batchId: row.batch_id === null ? null : Number(row.batch_id),
    recordedAt: toIso(Number(row.recorded_at)),
    importedAt: row.imported_at === null ? null : toIso(Number(row.imported_at)),
  };
}
