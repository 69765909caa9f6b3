import { utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import {
  batchSignedTx,
  claimUnbatchedSnapshots,
  getBatch,
  listBatchSnapshots,
  confirmBatchOnce,
  markBatchSubmitted,
  recordBatchTree,
  recordEvent,
  setBatchSignedTx,
  withTransaction,
  type IndexedSnapshot,
  type Store,
} from '../../../store/src';
import type { BlobStore } from '../../../blobs/src';
import { AnchorDeferredError, type Anchorer } from './anchorer';
import { buildBatchManifest, type ManifestSnapshot } from './batchManifest';

/** Parameters of {@link anchorBatch}. */
export type AnchorBatchParameters = {
  /** The shared index (PostgreSQL store). */
  index: Store;
  store: BlobStore;
  anchorer: Anchorer;
  /** Snapshots claimed at most for a new batch (the oracle's `batchSize`). */
  limit?: number;
  now?: () => number;
  /** The stored batch to resume (one a previous run, or another instance, claimed and did not finish). */
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

/** A stored snapshot as a Merkle leaf of the manifest. */
export function toManifestSnapshot(snapshot: IndexedSnapshot): ManifestSnapshot {
  return {
    deviceId: BigInt(snapshot.deviceId),
    sequence: BigInt(snapshot.seq),
    snapshotHash: snapshot.hash,
    cid: snapshot.cid,
    receivedAt: Date.parse(snapshot.receivedAt),
    collectedAt: Date.parse(snapshot.collectedAt),
  };
}

/**
 * Anchors one batch. New (no `batchId`): it claims up to `limit` queued snapshots, oldest received first, into a new
 * batch (`claimUnbatchedSnapshots`: `FOR UPDATE SKIP LOCKED`, a snapshot's membership a unique row, so no snapshot
 * is in two batches whichever instances claim at once), fixing their leaf order; resumed (`batchId`), it re-reads
 * that batch's snapshots from the store in their leaf order: the same root, which the anchorer turns into nothing
 * when it is on chain already. Then it builds the Merkle tree, stores the manifest (every leaf with its snapshot's
 * CID, collection and reception times; see `batchManifest.ts`) on IPFS, records the root and each leaf's proof,
 * anchors the root with the manifest CID (the signed transaction kept with the batch, sent again as is after a
 * restart), and once final marks the batch confirmed with its outbox event (`anchored`, `{ batchId }`). When the
 * anchorer is released (the oracle stopping) it rejects with `AnchorDeferredError`, the batch left unfinished for
 * the next start. Resolves to undefined when nothing was free to claim (or the resumed batch is empty).
 *
 * @example
 * const batcher = new Batcher({ maxSize, maxAgeMs, onBatch: () => anchorBatch({ index, store, anchorer, limit: maxSize }).then(() => undefined) })
 */
export async function anchorBatch(
  parameters: AnchorBatchParameters,
): Promise<{ batchId: number; root: string; manifestCid: string } | undefined> {
  const { index, store, anchorer } = parameters;
  const now = (parameters.now ?? Date.now)();
  let batch: number;
  let snapshots: IndexedSnapshot[];
  if (parameters.batchId !== undefined) {
    batch = parameters.batchId;
    snapshots = await listBatchSnapshots(index, batch);
  } else {
    const claim = await claimUnbatchedSnapshots(index, {
      ...(parameters.limit !== undefined ? { limit: parameters.limit } : {}),
      createdAt: now,
    });
    if (claim === undefined) return undefined;
    batch = claim.batch.id;
    snapshots = claim.snapshots;
  }
  if (snapshots.length === 0) return undefined;
  const { tree, manifest } = buildBatchManifest(snapshots.map(toManifestSnapshot), now);
  // A resumed batch keeps the manifest it stored before the crash.
  const stored = await getBatch(index, batch);
  const manifestCid = stored?.manifestCid ?? (await store.add(utf8ToBytes(canonicalJson(manifest))));
  // The root and every leaf's proof are recorded before the transaction: after a crash the same batch (same leaves,
  // same order, same root) is anchored again, which the anchorer turns into nothing when the root is on chain.
  if (stored?.status !== 'confirmed') {
    await recordBatchTree(index, batch, {
      root: tree.root,
      manifestCid,
      proofs: snapshots.map((_, leafIndex) => tree.proof(leafIndex)),
    });
  }
  const submit = (txHash: Hex) =>
    markBatchSubmitted(index, batch, { root: tree.root, manifestCid, leafCount: tree.leafCount, txHash });
  const result = await anchorer
    .anchor(tree.root, tree.leafCount, manifestCid, {
      signed: await batchSignedTx(index, batch),
      onSigned: (raw) => setBatchSignedTx(index, batch, raw),
      ...(parameters.onSent ? { onSent: parameters.onSent } : {}),
    })
    .catch(async (error: unknown) => {
      // Stopping: the batch stays unfinished (submitted once its transaction is known) for the next start.
      if (error instanceof AnchorDeferredError && error.txHash !== null) {
        if ((await getBatch(index, batch))?.status !== 'confirmed') await submit(error.txHash).catch(() => undefined);
      }
      throw error;
    });
  // The chain mirror (or another instance resuming this batch) may confirm it too, before or while this runs: the
  // first confirmation committed wins, and only it records the anchored event (confirmBatchOnce locks the row).
  if (result.txHash !== null) await submit(result.txHash).catch(() => undefined); // a confirmed batch stays so
  await withTransaction(index, async (tx) => {
    const submitted = await getBatch(tx, batch);
    const confirmed = await confirmBatchOnce(tx, batch, {
      txHash: result.txHash ?? submitted?.txHash ?? `0x${'0'.repeat(64)}`,
      block: result.blockNumber,
      ...(result.gasUsed !== null ? { gasUsed: result.gasUsed } : {}),
      chainBatchId: Number(result.batchId),
    });
    if (confirmed !== undefined) await recordEvent(tx, { kind: 'anchored', payload: { batchId: batch } });
  });
  parameters.onAnchored?.({
    batchId: batch,
    root: tree.root,
    manifestCid,
    leafCount: tree.leafCount,
    blockNumber: result.blockNumber,
  });
  return { batchId: batch, root: tree.root, manifestCid };
}
