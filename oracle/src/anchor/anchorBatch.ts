import { utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import { getSnapshot } from '../index/snapshots';
import {
  claimBatchSnapshots,
  getBatch,
  markBatchConfirmed,
  markBatchSubmitted,
  recordBatchTree,
} from '../index/batches';
import type { Index } from '../index/openIndex';
import type { BlobStore } from '../../../blobs/src';
import { AnchorDeferredError, type Anchorer } from './anchorer';
import type { PendingSnapshot } from './batcher';
import { buildBatchManifest } from './batchManifest';

/** Parameters of {@link anchorBatch}. */
export type AnchorBatchParameters = {
  snapshots: PendingSnapshot[];
  index: Index;
  store: BlobStore;
  anchorer: Anchorer;
  now?: () => number;
  /** The index batch to reuse when resuming one recorded before a crash. */
  batchId?: number;
  /** Called once the root is on its way (sent, or found on chain): a resumed batch no longer holds back new ones. */
  onSent?: () => void;
  /** Called once the batch is final. */
  onAnchored?: (batch: {
    batchId: number;
    root: string;
    manifestCid: string;
    leafCount: number;
    blockNumber: number;
  }) => void;
};

/**
 * Anchors one closed batch. First, before any await, it claims the snapshots for a new batch in the index
 * (`claimBatchSnapshots`: one that another batch claimed already is left out, so no snapshot is ever anchored in two
 * batches), fixing their leaf order; then it builds the Merkle tree, stores the manifest (every leaf with its
 * snapshot's CID, collection and reception times; see `batchManifest.ts`) on IPFS, records the root and each leaf's
 * proof, anchors the root with the manifest CID, and once the transaction is final marks the batch confirmed.
 * Resumed with `batchId` (a batch a previous run claimed), it anchors that batch's snapshots in their leaf order:
 * the same root, which the anchorer turns into nothing when it is on chain already. When the anchorer is released
 * (the oracle stopping) it rejects with `AnchorDeferredError`, the batch left unfinished for the next start.
 * Resolves to undefined when every snapshot was claimed already (nothing to anchor).
 *
 * @example
 * const batcher = new Batcher({ maxSize, maxAgeMs, onBatch: (snapshots) => anchorBatch({ snapshots, index, store, anchorer }) })
 */
export async function anchorBatch(
  parameters: AnchorBatchParameters,
): Promise<{ batchId: number; root: string; manifestCid: string } | undefined> {
  const { index, store, anchorer } = parameters;
  const now = (parameters.now ?? Date.now)();
  let batch: number;
  let snapshots: PendingSnapshot[];
  if (parameters.batchId !== undefined) {
    batch = parameters.batchId;
    snapshots = parameters.snapshots;
  } else {
    // Synchronous, before the first await: a second close of the same snapshots (a restart's recovery adding them
    // again while this upload is pending) finds them claimed.
    const claim = claimBatchSnapshots(
      index,
      parameters.snapshots.map((snapshot) => ({ deviceId: snapshot.deviceId, seq: Number(snapshot.sequence) })),
      { createdAt: now },
    );
    if (claim === undefined) return undefined;
    batch = claim.batch.id;
    snapshots = claim.positions.map((position) => parameters.snapshots[position]!);
  }
  // Each leaf carries its collection time from the index, so that other instances importing the batch can index it.
  const { tree, manifest } = buildBatchManifest(
    snapshots.map((snapshot) => {
      const indexed = getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence));
      return indexed === undefined ? snapshot : { ...snapshot, collectedAt: Date.parse(indexed.collectedAt) };
    }),
    now,
  );
  // A resumed batch keeps the manifest it stored before the crash.
  const manifestCid = getBatch(index, batch)?.manifestCid ?? (await store.add(utf8ToBytes(canonicalJson(manifest))));
  // The root and every leaf's proof are recorded before the transaction: after a crash the same batch (same leaves,
  // same order, same root) is anchored again, which the anchorer turns into nothing when the root is on chain.
  recordBatchTree(index, batch, {
    root: tree.root,
    manifestCid,
    proofs: snapshots.map((_, leafIndex) => tree.proof(leafIndex)),
  });
  // The signed transaction is kept with the batch: after a restart the same bytes are sent again, never a second
  // transaction for the same root.
  const signed = (
    index.statement('SELECT signed_tx FROM batches WHERE id = ?').get(batch) as { signed_tx: string | null }
  ).signed_tx;
  const result = await anchorer
    .anchor(tree.root, tree.leafCount, manifestCid, {
      signed: signed ?? undefined,
      onSigned: (raw) => index.statement('UPDATE batches SET signed_tx = ? WHERE id = ?').run(raw, batch),
      ...(parameters.onSent ? { onSent: parameters.onSent } : {}),
    })
    .catch((error: unknown) => {
      // Stopping: the batch stays unfinished (submitted once its transaction is known) for the next start.
      if (
        error instanceof AnchorDeferredError &&
        error.txHash !== null &&
        getBatch(index, batch)?.status !== 'confirmed'
      ) {
        markBatchSubmitted(index, batch, {
          root: tree.root,
          manifestCid,
          leafCount: tree.leafCount,
          txHash: error.txHash,
        });
      }
      throw error;
    });
  // The chain mirror may have seen the BatchAnchored event and confirmed the batch already.
  if (getBatch(index, batch)?.status !== 'confirmed') {
    if (result.txHash !== null) {
      markBatchSubmitted(index, batch, {
        root: tree.root,
        manifestCid,
        leafCount: tree.leafCount,
        txHash: result.txHash,
      });
    }
    const submitted = getBatch(index, batch);
    markBatchConfirmed(index, batch, {
      txHash: result.txHash ?? submitted?.txHash ?? `0x${'0'.repeat(64)}`,
      block: result.blockNumber,
      ...(result.gasUsed !== null ? { gasUsed: result.gasUsed } : {}),
      chainBatchId: Number(result.batchId),
    });
  }
  parameters.onAnchored?.({
    batchId: batch,
    root: tree.root,
    manifestCid,
    leafCount: tree.leafCount,
    blockNumber: result.blockNumber,
  });
  return { batchId: batch, root: tree.root, manifestCid };
}
