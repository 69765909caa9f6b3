import type { BlobStore } from '../../../blobs/src';
import {
  batchMemberKeys,
  getBatchByRoot,
  restoreAnchoredBatch,
  type RestoredLeaf,
  type Store,
} from '../../../store/src';
import { checkBatchManifest } from '../anchor/batchManifest';
import { checkLeafSnapshot, reasonOf } from './checkLeafSnapshot';
import type { DeviceSigners } from './deviceSigners';
import { fetchWithin } from './fetchWithin';

/** A `BatchAnchored` event as the mirror logged it: where it is and what it anchored. */
export type AnchoredBatchEvent = {
  block: number;
  logIndex: number;
  tx: string;
  /** The contract's batch ID. */
  batchId: number;
  root: string;
  leafCount: number;
  manifestCid: string;
};

/** Something the rebuild could not rebuild, named: the batch, and the leaf when it is one leaf. */
export type RebuildProblem = {
  /** The contract's batch ID. */
  batchId: number;
  root: string;
  manifestCid: string;
  /** Present for a leaf: its place in the batch, DeviceID, seq and snapshot CID. */
  leaf?: { index: number; deviceId: string; seq: string; cid: string };
  reason: string;
};

/** Parameters of {@link rebuildBatch}. */
export type RebuildBatchParameters = {
  index: Store;
  blobs: BlobStore;
  signers: DeviceSigners;
  event: AnchoredBatchEvent;
  /** The block's timestamp, ms (for leaves of a manifest written before manifests carried times). */
  blockTime: (block: number) => Promise<number>;
  timeoutMs: number;
  concurrency: number;
};

/** What {@link rebuildBatch} did with one anchored batch. */
export type RebuildBatchResult = {
  /**
   * `held`: the index held the whole batch already (nothing fetched); `rebuilt`: every leaf is in the index now;
   * `partial`: some leaves could not be rebuilt (the others are); `failed`: the manifest could not be fetched or
   * failed its checks, nothing written.
   */
  outcome: 'held' | 'rebuilt' | 'partial' | 'failed';
  /** Leaves restored by this call. */
  restored: number;
  /** Snapshots this call inserted (a leaf held as an unbatched snapshot is attached, not inserted). */
  insertedSnapshots: number;
  problems: RebuildProblem[];
};

/**
 * Rebuilds one anchored batch into the index: unless the index holds all its leaves already, fetches its manifest
 * (bounded by `timeoutMs`), checks it against the event (schema, leaf count, the Merkle root rebuilt from the leaves),
 * fetches and checks each leaf's signed snapshot not held yet (`concurrency` at once; {@link checkLeafSnapshot}),
 * then writes the batch as confirmed with the event's transaction and block, the good leaves with their proofs, and
 * the replay ledger, in one transaction (`restoreAnchoredBatch`). Every failure is a {@link RebuildProblem}, never a
 * throw (a store failure excepted).
 *
 * @example
 * const { outcome, problems } = await rebuildBatch({ index, blobs, signers, event, blockTime, timeoutMs: 30_000, concurrency: 8 })
 */
export async function rebuildBatch(parameters: RebuildBatchParameters): Promise<RebuildBatchResult> {
  const { index, event } = parameters;
  const problem = (reason: string, leaf?: RebuildProblem['leaf']): RebuildProblem => ({
    batchId: event.batchId,
    root: event.root,
    manifestCid: event.manifestCid,
    ...(leaf === undefined ? {} : { leaf }),
    reason,
  });
  const existing = await getBatchByRoot(index, event.root);
  const held = new Set(
    existing === undefined
      ? []
      : (await batchMemberKeys(index, existing.id)).map((key) => `${key.deviceId}#${key.seq}`),
  );
  if (existing !== undefined && existing.status === 'confirmed' && held.size >= event.leafCount) {
    return { outcome: 'held', restored: 0, insertedSnapshots: 0, problems: [] };
  }
  const failed = (reason: string): RebuildBatchResult => ({
    outcome: 'failed',
    restored: 0,
    insertedSnapshots: 0,
    problems: [problem(reason)],
  });
  let bytes: Uint8Array;
  try {
    bytes = await fetchWithin(parameters.blobs, event.manifestCid, parameters.timeoutMs, 'manifest');
  } catch (error) {
    return failed(`the manifest cannot be fetched: ${reasonOf(error)}`);
  }
  let checked: ReturnType<typeof checkBatchManifest>;
  try {
    checked = checkBatchManifest(bytes, event);
  } catch (error) {
    return failed(`the manifest fails its checks: ${reasonOf(error)}`);
  }
  const { manifest, tree } = checked;
  let blockTime: Promise<number> | undefined;
  const timeOfBlock = () => (blockTime ??= parameters.blockTime(event.block));
  const todo = manifest.leaves
    .map((leaf, leafIndex) => ({ leaf, leafIndex }))
    .filter(({ leaf }) => !held.has(`${leaf.deviceId}#${Number(leaf.seq)}`));
  const restored: RestoredLeaf[] = [];
  const problems: RebuildProblem[] = [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { leaf, leafIndex } = todo[next++]!;
      const result = await checkLeafSnapshot({
        blobs: parameters.blobs,
        signers: parameters.signers,
        leaf,
        leafIndex,
        proof: tree.proof(leafIndex),
        block: event.block,
        blockTime: timeOfBlock,
        timeoutMs: parameters.timeoutMs,
      });
      if (result.ok) restored.push(result.leaf);
      else
        problems.push(
          problem(result.reason, { index: leafIndex, deviceId: leaf.deviceId, seq: leaf.seq, cid: leaf.cid }),
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(parameters.concurrency, todo.length) }, worker));
  restored.sort((a, b) => a.leafIndex - b.leafIndex);
  const written = await restoreAnchoredBatch(index, {
    root: event.root,
    manifestCid: event.manifestCid,
    leafCount: event.leafCount,
    txHash: event.tx,
    block: event.block,
    chainBatchId: event.batchId,
    createdAt: manifest.createdAt,
    confirmedAt: await timeOfBlock(),
    leaves: restored,
  });
  for (const conflict of written.conflicts) {
    const leafIndex = manifest.leaves.findIndex(
      (leaf) => leaf.deviceId === conflict.deviceId && Number(leaf.seq) === conflict.seq,
    );
    const leaf = manifest.leaves[leafIndex]!;
    problems.push(
      problem(conflict.reason, { index: leafIndex, deviceId: leaf.deviceId, seq: leaf.seq, cid: leaf.cid }),
    );
  }
  problems.sort((a, b) => (a.leaf?.index ?? -1) - (b.leaf?.index ?? -1));
  return {
    outcome: problems.length === 0 ? 'rebuilt' : 'partial',
    restored: written.attached,
    insertedSnapshots: written.insertedSnapshots,
    problems,
  };
}
