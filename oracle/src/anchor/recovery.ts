import { listBatches, listUnbatchedSnapshots, type Store } from '../../../store/src';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { PendingSnapshot } from './batcher';

/**
 * The stored batches claimed but not final (`open` or `submitted`), oldest first, read from the database (whichever
 * instance claimed them): anchoring one again ({@link anchorBatch} with its `batchId`) re-reads its snapshots in leaf
 * order and rebuilds the same root, so nothing is anchored twice.
 *
 * @example
 * for (const batchId of await unfinishedBatches(index)) await anchorBatch({ batchId, index, store, anchorer })
 */
export async function unfinishedBatches(index: Store): Promise<number[]> {
  const ids: number[] = [];
  for (const status of ['open', 'submitted'] as const) {
    for (const batch of await listBatches(index, { status, limit: 1_000 })) ids.push(batch.id);
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Anchors again the batches left unfinished ({@link unfinishedBatches}), in order: each is sent (or found on chain)
 * before the next one starts and before this resolves, so their transactions keep their nonce order ahead of new
 * batches. Their confirmations come later (`settled`): an instamine chain mines no block before the next
 * transaction, and a start must not wait for one.
 *
 * @example
 * const resumed = await resumeUnfinishedBatches(index, (batchId, onSent) => anchorBatch({ batchId, onSent, … }))
 * await resumed.settled // at stop
 */
export async function resumeUnfinishedBatches(
  index: Store,
  anchor: (batchId: number, onSent: () => void) => Promise<void>,
): Promise<{ settled: Promise<void> }> {
  const resumed: Promise<void>[] = [];
  for (const batchId of await unfinishedBatches(index)) {
    await new Promise<void>((sent) => resumed.push(anchor(batchId, sent).finally(sent)));
  }
  return { settled: Promise.all(resumed).then(() => undefined) };
}

/**
 * Snapshots in no batch yet, oldest first, read from the database (at most `limit`, default 100,000): the batcher
 * takes them again after a restart, and from a stopped instance.
 *
 * @example
 * for (const snapshot of await unbatchedSnapshots(index)) batcher.add(snapshot)
 */
export async function unbatchedSnapshots(index: Store, limit = 100_000): Promise<PendingSnapshot[]> {
  return (await listUnbatchedSnapshots(index, { limit })).map((snapshot) => ({
    deviceId: BigInt(snapshot.deviceId),
    sequence: BigInt(snapshot.seq),
    snapshotHash: snapshot.hash as Hex,
    cid: snapshot.cid,
    receivedAt: Date.parse(snapshot.receivedAt),
  }));
}
