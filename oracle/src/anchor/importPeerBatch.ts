import { createBatch, getBatchByRoot, markBatchConfirmed } from '../index/batches';
import type { Index } from '../index/openIndex';
import {
  deferPeerBatch,
  failPeerBatch,
  getPeerBatch,
  markPeerBatchImported,
  type PeerBatch,
} from '../index/peerBatches';
import { attachBatch, insertSnapshot, type BatchLeaf } from '../index/snapshots';
import { type BlobStore, BlobTooLargeError, InvalidCidError, messageOf } from '../../../blobs/src';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { checkBatchManifest, type BatchManifest } from './batchManifest';
import { InvalidManifestError, ManifestTimeoutError } from './errors';

/** When a manifest not available yet is fetched again: `baseMs` × 2^(attempts − 1), at most `maxMs`. */
export type PeerBatchBackoff = { baseMs: number; maxMs: number };

/** The default backoff: 2 s, 4 s, 8 s … up to 5 minutes. */
export const DEFAULT_PEER_BATCH_BACKOFF: PeerBatchBackoff = { baseMs: 2_000, maxMs: 300_000 };

/** Parameters of {@link importPeerBatch}. */
export type ImportPeerBatchParameters = {
  index: Index;
  /** The IPFS store the anchoring instance wrote the manifest to (shared, e.g. one Kubo node). */
  store: BlobStore;
  /** The pending peer batch, as `duePeerBatches` returns it. */
  batch: PeerBatch;
  /**
   * The timestamp (ms) of block `block`: the collection and reception time of leaves of a manifest written before
   * manifests carried them.
   */
  blockTime: (block: number) => Promise<number>;
  /** How long the manifest fetch may take, ms (default 10,000). */
  timeoutMs?: number;
  backoff?: PeerBatchBackoff;
  now?: () => number;
};

/** What {@link importPeerBatch} did with one peer batch. */
export type ImportPeerBatchResult =
  | {
      outcome: 'imported';
      root: string;
      /** The index batch it became (confirmed). */
      batchId: number;
      leafCount: number;
      /** Snapshots added to the index; the others were held already and keep their row. */
      insertedSnapshots: number;
    }
  /** Refused for good (recorded as failed): the manifest is invalid or contradicts the chain or the index. */
  | { outcome: 'failed'; root: string; reason: string }
  /** Not imported yet (the manifest is not available, or a read failed): due again at `nextAttemptAt`. */
  | { outcome: 'deferred'; root: string; reason: string; attempts: number; nextAttemptAt: string }
  /** No longer pending when its turn came (a reorganisation removed it, or another pass imported it). */
  | { outcome: 'skipped'; root: string };

/**
 * Imports one batch another oracle instance anchored: fetches its manifest (bounded by `timeoutMs`), checks it
 * (schema, leaf count, Merkle root rebuilt from the leaves equal to the anchored root), then in one index transaction
 * creates the batch as confirmed with the event's transaction, block, contract batch ID and manifest CID, inserts each
 * snapshot (one the index holds already keeps its row, and its hash must equal the leaf's) and attaches each inserted
 * snapshot's leaf index and proof. A manifest not available yet is deferred with backoff, never dropped; an invalid
 * one is recorded as failed with the reason and not fetched again.
 *
 * @example
 * for (const batch of duePeerBatches(index, Date.now())) await importPeerBatch({ index, store, batch, blockTime })
 */
export async function importPeerBatch(parameters: ImportPeerBatchParameters): Promise<ImportPeerBatchResult> {
  const { index, store, batch } = parameters;
  const now = parameters.now ?? Date.now;
  const root = batch.root;
  let checked: ReturnType<typeof checkBatchManifest>;
  let blockTime: number | undefined;
  try {
    const bytes = await withTimeout(store.get(batch.manifestCid), parameters.timeoutMs ?? 10_000, batch.manifestCid);
    checked = checkBatchManifest(bytes, batch);
    if (checked.manifest.leaves.some((leaf) => leaf.collectedAt === undefined || leaf.receivedAt === undefined)) {
      blockTime = await parameters.blockTime(batch.block);
    }
  } catch (error) {
    if (error instanceof InvalidManifestError) return fail(index, root, reasonOf(error));
    if (error instanceof InvalidCidError || error instanceof BlobTooLargeError) {
      return fail(index, root, `The manifest cannot be fetched: ${reasonOf(error)}`);
    }
    return defer(parameters, root, reasonOf(error));
  }
  try {
    return index.transaction(() => write(index, batch, checked, blockTime, now()));
  } catch (error) {
    if (error instanceof InvalidManifestError) return fail(index, root, reasonOf(error));
    return defer(parameters, root, reasonOf(error));
  }
}

/** The import's one transaction; throws InvalidManifestError (rolling everything back) on a conflicting leaf. */
function write(
  index: Index,
  batch: PeerBatch,
  { manifest, tree }: { manifest: BatchManifest; tree: { proof(index: number): string[] } },
  blockTime: number | undefined,
  now: number,
): ImportPeerBatchResult {
  const current = getPeerBatch(index, batch.root);
  if (current === undefined || current.status !== 'pending' || current.block !== batch.block) {
    return { outcome: 'skipped', root: batch.root };
  }
  if (getBatchByRoot(index, batch.root) !== undefined) {
    throw new InvalidManifestError('The index already holds a batch with this root.', { details: batch.root });
  }
  const created = createBatch(index, {
    root: batch.root,
    manifestCid: batch.manifestCid,
    leafCount: batch.leafCount,
    status: 'confirmed',
    createdAt: now,
  });
  markBatchConfirmed(index, created.id, {
    txHash: batch.tx,
    block: batch.block,
    chainBatchId: batch.chainBatchId,
    confirmedAt: now,
  });
  const attached: BatchLeaf[] = [];
  for (const [leafIndex, leaf] of manifest.leaves.entries()) {
    const seq = Number(leaf.seq);
    const { inserted, snapshot } = insertSnapshot(index, {
      deviceId: leaf.deviceId,
      seq,
      hash: leaf.snapshotHash,
      cid: leaf.cid,
      collectedAt: leaf.collectedAt ?? blockTime!,
      receivedAt: leaf.receivedAt ?? blockTime!,
    });
    if (snapshot.hash !== leaf.snapshotHash) {
      throw new InvalidManifestError('A leaf contradicts a snapshot the index holds.', {
        details: `${leaf.deviceId} #${seq}: the leaf has hash ${leaf.snapshotHash}, the index ${snapshot.hash}`,
      });
    }
    if (inserted) attached.push({ deviceId: leaf.deviceId, seq, leafIndex, proof: tree.proof(leafIndex) });
  }
  attachBatch(index, created.id, attached);
  markPeerBatchImported(index, batch.root, created.id, now);
  return {
    outcome: 'imported',
    root: batch.root,
    batchId: created.id,
    leafCount: manifest.leaves.length,
    insertedSnapshots: attached.length,
  };
}

function fail(index: Index, root: string, reason: string): ImportPeerBatchResult {
  if (getPeerBatch(index, root)?.status !== 'pending') return { outcome: 'skipped', root };
  failPeerBatch(index, root, reason.slice(0, 500));
  return { outcome: 'failed', root, reason };
}

function defer(parameters: ImportPeerBatchParameters, root: string, reason: string): ImportPeerBatchResult {
  const { index } = parameters;
  const current = getPeerBatch(index, root);
  if (current?.status !== 'pending') return { outcome: 'skipped', root };
  const { baseMs, maxMs } = parameters.backoff ?? DEFAULT_PEER_BATCH_BACKOFF;
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(current.attempts, 30));
  const deferred = deferPeerBatch(index, root, {
    failure: reason.slice(0, 500),
    nextAttemptAt: (parameters.now ?? Date.now)() + delay,
  });
  return { outcome: 'deferred', root, reason, attempts: deferred.attempts, nextAttemptAt: deferred.nextAttemptAt };
}

/** One line: a BaseError's short message and details, or any error's message. */
function reasonOf(error: unknown): string {
  if (error instanceof BaseError)
    return error.details ? `${error.shortMessage} (${error.details})` : error.shortMessage;
  return messageOf(error);
}

/** `promise`, or a ManifestTimeoutError after `ms` (the read goes on in the background; its result is dropped). */
async function withTimeout<T>(promise: Promise<T>, ms: number, cid: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ManifestTimeoutError(cid, ms)), ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
