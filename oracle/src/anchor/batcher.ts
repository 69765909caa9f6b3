import type { SnapshotLeaf } from '../../../twin-core/src/merkle/snapshotLeaf';

/** A snapshot waiting for its batch: the Merkle leaf, the CID of the full snapshot, and when it arrived. */
export type PendingSnapshot = SnapshotLeaf & { cid: string; receivedAt: number };

/** Timers the batcher uses; tests inject fake ones to control time. */
export type BatchTimers = {
  now: () => number;
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
};

/** Parameters of {@link Batcher}. */
export type BatcherParameters = {
  /** A batch closes at this many snapshots… */
  maxSize: number;
  /** …or when its oldest snapshot is this old, ms, whichever comes first. */
  maxAgeMs: number;
  /** Receives each closed batch, in order; the next batch is handed over only once the promise settles. */
  onBatch: (snapshots: PendingSnapshot[]) => Promise<void>;
  timers?: BatchTimers;
};

const realTimers: BatchTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Collects snapshot leaves into batches that close at a size or an age, whichever comes first. A snapshot already
 * pending (same DeviceID and sequence, e.g. a QoS 1 redelivery) is ignored, so it anchors once. Batches are handed
 * over one at a time, in order.
 *
 * @example
 * const batcher = new Batcher({ maxSize: 1024, maxAgeMs: 5000, onBatch: (snapshots) => anchorer.anchor(snapshots) })
 * batcher.add({ deviceId, sequence, snapshotHash, cid, receivedAt: Date.now() })
 */
export class Batcher {
  private readonly timers: BatchTimers;
  private pending: PendingSnapshot[] = [];
  private readonly keys = new Set<string>();
  private timer: unknown;
  private handing: Promise<void> = Promise.resolve();

  constructor(private readonly parameters: BatcherParameters) {
    this.timers = parameters.timers ?? realTimers;
  }

  /** Snapshots waiting in the open batch. */
  get size(): number {
    return this.pending.length;
  }

  /** Adds a snapshot; returns false when it is already pending. */
  add(snapshot: PendingSnapshot): boolean {
    const key = `${snapshot.deviceId}:${snapshot.sequence}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.pending.push(snapshot);
    if (this.pending.length >= this.parameters.maxSize) this.close();
    else if (this.timer === undefined) {
      const age = this.timers.now() - this.pending[0]!.receivedAt;
      this.timer = this.timers.setTimeout(() => this.close(), Math.max(0, this.parameters.maxAgeMs - age));
    }
    return true;
  }

  /** Closes the open batch now (e.g. at shutdown) and waits until every batch was handed over. */
  async flush(): Promise<void> {
    this.close();
    await this.handing;
  }

  private close(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const snapshot of batch) this.keys.delete(`${snapshot.deviceId}:${snapshot.sequence}`);
    this.handing = this.handing.then(() => this.parameters.onBatch(batch)).catch(() => undefined);
  }
}

/** The batch manifest stored on IPFS (see `batchManifest.ts`). */
export type { BatchManifest } from './batchManifest';
