import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Index } from '../index/openIndex';
import type { PendingSnapshot } from './batcher';

type Row = { device_id: string; seq: number; hash: string; cid: string; received_at: number };

const toPending = (row: Row): PendingSnapshot => ({
  deviceId: BigInt(row.device_id),
  sequence: BigInt(row.seq),
  snapshotHash: row.hash as Hex,
  cid: row.cid,
  receivedAt: Number(row.received_at),
});

/**
 * Batches recorded but not final when the oracle stopped, each with its snapshots in leaf order: anchoring them again
 * rebuilds the same root, so nothing is anchored twice.
 *
 * @example
 * for (const { batchId, snapshots } of unfinishedBatches(index)) await anchorBatch({ batchId, snapshots, index, store, anchorer })
 */
export function unfinishedBatches(index: Index): { batchId: number; snapshots: PendingSnapshot[] }[] {
  const batches = index.statement(`SELECT id FROM batches WHERE status IN ('open', 'submitted') ORDER BY id`).all() as {
    id: number;
  }[];
  return batches
    .map(({ id }) => ({
      batchId: Number(id),
      snapshots: (
        index
          .statement(
            'SELECT device_id, seq, hash, cid, received_at FROM snapshots WHERE batch_id = ? ORDER BY leaf_index',
          )
          .all(id) as Row[]
      ).map(toPending),
    }))
    .filter((batch) => batch.snapshots.length > 0);
}

/**
 * Anchors again the batches a previous run left unfinished ({@link unfinishedBatches}), in order: each is sent (or
 * found on chain) before the next one starts and before this resolves, so their transactions keep their nonce order
 * ahead of new batches. Their confirmations come later (`settled`): an instamine chain mines no block before the next
 * transaction, and a start must not wait for one.
 *
 * @example
 * const resumed = await resumeUnfinishedBatches(index, (snapshots, batchId, onSent) => anchorBatch({ snapshots, batchId, onSent, … }))
 * await resumed.settled // at stop
 */
export async function resumeUnfinishedBatches(
  index: Index,
  anchor: (snapshots: PendingSnapshot[], batchId: number, onSent: () => void) => Promise<void>,
): Promise<{ settled: Promise<void> }> {
  const resumed: Promise<void>[] = [];
  for (const { batchId, snapshots } of unfinishedBatches(index)) {
    await new Promise<void>((sent) => resumed.push(anchor(snapshots, batchId, sent).finally(sent)));
  }
  return { settled: Promise.all(resumed).then(() => undefined) };
}

/** Snapshots accepted but in no batch yet, oldest first: the batcher takes them again after a restart. */
export function unbatchedSnapshots(index: Index): PendingSnapshot[] {
  return (
    index
      .statement(
        'SELECT device_id, seq, hash, cid, received_at FROM snapshots WHERE batch_id IS NULL ORDER BY received_at, device_id, seq',
      )
      .all() as Row[]
  ).map(toPending);
}
