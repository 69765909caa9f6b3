import type { Wallet } from 'ethers';
import type { BlobStore } from '../../../blobs/src';
import type { Store } from '../../../store/src';
import { anchorBatch } from '../anchor/anchorBatch';
import { AnchorDeferredError, Anchorer } from '../anchor/anchorer';
import { Batcher, type PendingSnapshot } from '../anchor/batcher';
import { resumeUnfinishedBatches, unbatchedSnapshots } from '../anchor/recovery';
import type { OracleConfig } from '../config';
import type { OracleLog } from './types';

/**
 * At stop, how long the last batch may take to be sent and mined (an unreachable endpoint, a stalled chain) before it
 * is left to the next start, ms. Confirmations are never waited for at stop.
 */
const STOP_GRACE_MS = 10_000;

/** The anchoring of one oracle instance. */
export type Anchoring = {
  counters: { anchoredBatches: number; anchoredSnapshots: number };
  /** Takes an accepted snapshot into the open batch. */
  add(snapshot: PendingSnapshot): void;
  /**
   * Takes the store's queue of unbatched snapshots into the open batch (after a restart; those a stopped instance
   * left: the periodic sweep adds the ones older than twice the batch age).
   */
  takeQueued(olderThanMs?: number): Promise<number>;
  /** Sends the last batch and waits for what is in flight (never for confirmations). */
  stop(): Promise<void>;
};

/**
 * Starts anchoring: first the batches left unfinished in the store (by this instance or another), each sent before
 * new ones, then batches of the queued snapshots, claimed from the store when the batcher closes one (size or age):
 * whichever instance claims a snapshot anchors it, once.
 *
 * @example
 * const anchoring = await startAnchoring({ config, index, store, wallet, anchorAddress, log })
 * anchoring.add(pendingSnapshot)
 */
export async function startAnchoring(parameters: {
  config: OracleConfig;
  index: Store;
  store: BlobStore;
  wallet: Wallet;
  anchorAddress: string;
  log: OracleLog;
}): Promise<Anchoring> {
  const { config, index, store, log } = parameters;
  const counters = { anchoredBatches: 0, anchoredSnapshots: 0 };
  const anchorer = new Anchorer({
    wallet: parameters.wallet,
    anchorAddress: parameters.anchorAddress,
    confirmations: config.confirmations,
    onRetry: (error, attempt, waitMs) =>
      log('warn', 'anchoring retry', { attempt, waitMs, error: error.message.slice(0, 200) }),
  });
  const anchor = (batchId?: number, onSent?: () => void) =>
    anchorBatch({
      index,
      store,
      anchorer,
      limit: config.batchSize,
      ...(batchId !== undefined ? { batchId } : {}),
      ...(onSent ? { onSent } : {}),
      onAnchored: (batch) => {
        counters.anchoredBatches++;
        counters.anchoredSnapshots += batch.leafCount;
        log('info', 'batch anchored', batch);
      },
    }).then(
      () => undefined,
      (error: Error) =>
        error instanceof AnchorDeferredError
          ? log('info', 'batch left unfinished for the next start', { tx: error.txHash, reason: error.reason })
          : log('error', 'batch not anchored', { error: error.message }),
    );
  const batcher = new Batcher({
    maxSize: config.batchSize,
    maxAgeMs: config.batchAgeMs,
    maxInFlight: config.anchorConcurrency,
    // The batch claims what the store's queue holds (oldest first, up to batchSize), whichever instance queued it.
    onBatch: () => anchor(),
  });
  // Finish what was left, in order: unfinished batches, then everything accepted but not yet batched.
  const resumed = await resumeUnfinishedBatches(index, (batchId, onSent) => anchor(batchId, onSent));
  const takeQueued = async (olderThanMs?: number) => {
    const cutoff = olderThanMs === undefined ? Infinity : Date.now() - olderThanMs;
    let added = 0;
    for (const snapshot of await unbatchedSnapshots(index, olderThanMs === undefined ? 100_000 : config.batchSize)) {
      if (snapshot.receivedAt <= cutoff && batcher.add(snapshot)) added++;
    }
    return added;
  };
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping || batcher.size > 0) return;
    sweeping = true;
    takeQueued(2 * config.batchAgeMs)
      .catch((error: Error) => log('warn', 'unbatched snapshots not read', { error: error.message }))
      .finally(() => (sweeping = false));
  }, Math.max(1_000, 2 * config.batchAgeMs));
  sweep.unref();
  return {
    counters,
    add: (snapshot) => void batcher.add(snapshot),
    takeQueued,
    async stop() {
      clearInterval(sweep);
      // The last batch is sent, and nothing waits for confirmations (blocks an instamine chain never mines without
      // a transaction): what is not final is confirmed by the next start.
      anchorer.release(STOP_GRACE_MS);
      await batcher.flush();
      await resumed.settled;
    },
  };
}
