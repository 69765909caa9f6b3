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
  /**
   * Batches handed over and not settled yet, at most (default 1). While that many are in flight, an aged batch stays
   * open and keeps growing up to `maxSize`; it closes as soon as one settles. So a slow chain gives fewer, larger
   * batches instead of a queue of small ones.
   */
  maxInFlight?: number;
  /** Receives each closed batch, in closing order; at most `maxInFlight` promises are pending at once. */
  onBatch: (snapshots: PendingSnapshot[]) => Promise<void>;
  timers?: BatchTimers;
};

const realTimers: BatchTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Collects snapshot leaves into batches that close at a size or an age, whichever comes first, and hands them over
 * in closing order with at most `maxInFlight` unsettled (an anchoring transaction each: they share blocks). A
 * snapshot already pending (same DeviceID and sequence, e.g. a QoS 1 redelivery) is ignored, so it anchors once.
 *
 * @example
 * const batcher = new Batcher({ maxSize: 1024, maxAgeMs: 5000, maxInFlight: 8, onBatch: (snapshots) => anchor(snapshots) })
 * batcher.add({ deviceId, sequence, snapshotHash, cid, receivedAt: Date.now() })
 */
export class Batcher {
  private readonly timers: BatchTimers;
  private readonly maxInFlight: number;
  private pending: PendingSnapshot[] = [];
  private readonly keys = new Set<string>();
  /** Closed at the size limit while the hand-over slots were taken: handed over first, in order. */
  private readonly closed: PendingSnapshot[][] = [];
  private inFlight = 0;
  private timer: unknown;
  /** The open batch aged while every slot was taken: it closes when one frees. */
  private due = false;
  private idle: (() => void)[] = [];

  constructor(private readonly parameters: BatcherParameters) {
    this.timers = parameters.timers ?? realTimers;
    this.maxInFlight = Math.max(1, parameters.maxInFlight ?? 1);
  }

  /** Snapshots waiting in the open batch. */
  get size(): number {
    return this.pending.length;
  }

  /** Batches handed over and not settled yet. */
  get handedOver(): number {
    return this.inFlight;
  }

  /** Adds a snapshot; returns false when it is already pending. */
  add(snapshot: PendingSnapshot): boolean {
    const key = `${snapshot.deviceId}:${snapshot.sequence}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.pending.push(snapshot);
    if (this.pending.length >= this.parameters.maxSize) {
      this.close();
      this.pump();
    } else this.schedule();
    return true;
  }

  /** Closes the open batch now (e.g. at shutdown) and waits until every batch was handed over and settled. */
  async flush(): Promise<void> {
    this.close();
    this.pump();
    if (this.inFlight === 0 && this.closed.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Arms the age timer for the open batch's oldest snapshot (once). */
  private schedule(): void {
    if (this.timer !== undefined || this.due || this.pending.length === 0) return;
    const age = this.timers.now() - this.pending[0]!.receivedAt;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.onAged();
    }, Math.max(0, this.parameters.maxAgeMs - age));
  }

  /** The open batch is old enough: it closes when a slot is free, else when the next batch settles. */
  private onAged(): void {
    if (this.inFlight + this.closed.length < this.maxInFlight) {
      this.close();
      this.pump();
    } else this.due = true;
  }

  private close(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.due = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const snapshot of batch) this.keys.delete(`${snapshot.deviceId}:${snapshot.sequence}`);
    this.closed.push(batch);
  }

  /** Hands closed batches over while slots are free. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.closed.length > 0) {
      const batch = this.closed.shift()!;
      this.inFlight++;
      void this.parameters
        .onBatch(batch)
        .catch(() => undefined)
        .then(() => this.settled());
    }
  }

  private settled(): void {
    this.inFlight--;
    this.pump();
    // An open batch that aged while every slot was taken closes now.
    if (this.due && this.inFlight + this.closed.length < this.maxInFlight) {
      this.close();
      this.pump();
    }
    if (this.inFlight === 0 && this.closed.length === 0) {
      const waiting = this.idle;
      this.idle = [];
      for (const resolve of waiting) resolve();
    }
  }
}

/** The batch manifest stored on IPFS (see `batchManifest.ts`). */
export type { BatchManifest } from './batchManifest';
