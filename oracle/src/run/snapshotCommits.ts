import { isTransientStoreError, type Store } from '../../../store/src';
import { commitSnapshots, type AcceptedSnapshot, type CommitResult } from '../ingest/commitMessages';

/** Parameters of {@link createSnapshotCommits}. */
export type SnapshotCommitsParameters = {
  index: Store;
  /** Snapshots one transaction stores at most (default 256). */
  maxPerTransaction?: number;
};

/** What {@link createSnapshotCommits} counts. */
export type SnapshotCommitCounters = {
  /** Transactions that stored snapshots, and the snapshots they held. */
  transactions: number;
  snapshots: number;
  /** Sets that failed as a whole on a lasting error and were stored one by one. */
  split: number;
};

/** The snapshot commits of one oracle instance, grouped (see {@link createSnapshotCommits}). */
export type SnapshotCommits = {
  /** Stores one accepted snapshot (with the others waiting now); resolves to its own result. */
  commit(snapshot: AcceptedSnapshot): Promise<CommitResult>;
  counters: SnapshotCommitCounters;
};

type Waiting = {
  snapshot: AcceptedSnapshot;
  resolve: (result: CommitResult) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit of accepted snapshots: while one transaction stores snapshots, the snapshots accepted meanwhile wait,
 * and the next transaction stores all of them at once (`commitSnapshots`, at most `maxPerTransaction`). Each commit
 * of the outbox numbers its events under one cluster-wide lock until its commit is flushed, so one transaction per
 * snapshot serialised the whole snapshot path on the WAL flush (about 90 snapshots/s on the 2-core machine, most of
 * each transaction's time waiting for that lock); a set pays it once. Nothing is decided differently: each snapshot
 * gets the result `commitSnapshot` would give it (a (device, seq) stored before, by any instance, is a replay). A
 * transient failure (connection lost, pool wait, even during the commit) rejects every snapshot of the set, each
 * retried by its caller (whose retry tells a lost answer of a commit that happened from a replay); a lasting one
 * (a value the store refuses) is retried snapshot by snapshot, so that it fails the snapshot it belongs to only. Per
 * device, the caller commits in order (the next snapshot of a device waits for the previous result), so one set
 * never holds two snapshots of a device it would order wrongly.
 *
 * @example
 * const snapshots = createSnapshotCommits({ index })
 * const result = await snapshots.commit({ deviceId, seq, collectedAt, hash, cid, receivedAt })
 */
export function createSnapshotCommits(parameters: SnapshotCommitsParameters): SnapshotCommits {
  const { index } = parameters;
  const maxPerTransaction = parameters.maxPerTransaction ?? 256;
  const counters: SnapshotCommitCounters = { transactions: 0, snapshots: 0, split: 0 };
  let waiting: Waiting[] = [];
  let running = false;

  const store = async (set: Waiting[]): Promise<void> => {
    try {
      const results = await commitSnapshots(
        index,
        set.map((item) => item.snapshot),
      );
      counters.transactions++;
      counters.snapshots += set.length;
      set.forEach((item, position) => item.resolve(results[position]!));
    } catch (error) {
      if (set.length === 1 || isTransientStoreError(error)) {
        for (const item of set) item.reject(error);
        return;
      }
      // Rolled back as a whole: each one alone, so that only the snapshot the store refuses fails.
      counters.split++;
      for (const item of set) await store([item]);
    }
  };

  const drain = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      while (waiting.length > 0) {
        const set = waiting.slice(0, maxPerTransaction);
        waiting = waiting.slice(set.length);
        await store(set);
      }
    } finally {
      running = false;
    }
  };

  return {
    counters,
    commit(snapshot) {
      return new Promise<CommitResult>((resolve, reject) => {
        waiting.push({ snapshot, resolve, reject });
        // Started on the next turn of the event loop: what this turn accepted goes into the first set too.
        if (!running && waiting.length === 1) setImmediate(() => void drain());
      });
    },
  };
}
