import { utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import { attachBatch, getSnapshot } from '../index/snapshots';
import { createBatch, getBatch, markBatchConfirmed, markBatchSubmitted } from '../index/batches';
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
 * Anchors one closed batch: builds its Merkle tree, stores the manifest (every leaf with its snapshot's CID,
 * collection and reception times; see `batchManifest.ts`) on IPFS, records the batch, anchors the root with the
 * manifest CID, and once the transaction is final keeps each leaf's proof in the index. Idempotent: run again for
 * the same snapshots it finds the root on chain and sends nothing. When the anchorer is released (the oracle
 * stopping) it rejects with `AnchorDeferredError`, the batch left unfinished for the next start.
 *
 * @example
 * const batcher = new Batcher({ maxSize, maxAgeMs, onBatch: (snapshots) => anchorBatch({ snapshots, index, store, anchorer }) })
 */
export async function anchorBatch(
  parameters: AnchorBatchParameters,
): Promise<{ batchId: number; root: string; manifestCid: string }> {
  const { snapshots, index, store, anchorer } = parameters;
  // Each leaf carries its collection time from the index, so that other instances importing the batch can index it.
  const { tree, manifest } = buildBatchManifest(
    snapshots.map((snapshot) => {
      const indexed = getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence));
      return indexed === undefined ? snapshot : { ...snapshot, collectedAt: Date.parse(indexed.collectedAt) };
    }),
    (parameters.now ?? Date.now)(),
  );
  const manifestCid = await store.add(utf8ToBytes(canonicalJson(manifest)));
  // The batch and every leaf's proof are recorded before the transaction: after a crash the same batch (same leaves,
  // same order, same root) is anchored again, which the anchorer turns into nothing when the root is on chain.
  const batch = index.transaction(() => {
    const created =
      parameters.batchId ?? createBatch(index, { root: tree.root, manifestCid, leafCount: tree.leafCount }).id;
    attachBatch(
      index,
      created,
      snapshots.map((snapshot, leafIndex) => ({
        deviceId: snapshot.deviceId,
        seq: Number(snapshot.sequence),
        leafIndex,
        proof: tree.proof(leafIndex),
      })),
    );
    return created;
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
