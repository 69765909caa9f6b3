import type { BlobStore } from '../../../blobs/src';
import type { Store, StoreGateStats } from '../../../store/src';
import type { ChainMirror } from '../chain/createChainMirror';
import type { ReceiverStats } from '../ingest/createReceiver';
import type { VerifierPoolChecks } from '../ingest/createVerifierPool';
import type { JournalStats } from '../ingest/journal';
import type { StoreRetryCounters } from './storeRetry';

/** A log line sink; never given secrets. */
export type OracleLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Counters of a running oracle, for metrics and tests. */
export type OracleStats = {
  received: number;
  /** Messages stored (committed to the index): a message the store refused as a replay is a rejection instead. */
  accepted: number;
  anchoredBatches: number;
  anchoredSnapshots: number;
  telemetryBatches: number;
  /** Security alerts indexed. */
  alerts: number;
  /** Journal entries replayed at start that the index already held (processed before a crash), completed as such. */
  replayedDuplicates: number;
  /** Identical copies of messages the index holds (a redelivery, to any instance), completed without a rejection. */
  duplicates: number;
  /**
   * The ingestion's store work: attempts repeated after a transient failure (`retries`) and given up (`givenUp`:
   * left in the journal), the slots it may hold on the pool and the work waiting for one (now, at the peak), and its
   * twin lookups with the statements they took, and the transactions that stored snapshots (`snapshotTransactions`,
   * holding `snapshotsCommitted`: group commit).
   */
  store: StoreGateStats &
    StoreRetryCounters & {
      twinLookups: number;
      twinStatements: number;
      snapshotTransactions: number;
      snapshotsCommitted: number;
    };
  /** Upkeep passes of the store run (telemetry partitions, sequence gaps), and those that failed. */
  maintenanceRuns: number;
  maintenanceFailures: number;
  rejections: Record<string, number>;
  /** The journal on disk, and the receive path (acknowledgements held while it is full). */
  journal: JournalStats;
  receive: ReceiverStats;
  /**
   * Messages checked (parse, schema, canonical hash, signer recovery) on the verifier threads and on the main
   * thread: with `verifyThreads` > 0, `onMainThread` grows only while a thread has failed.
   */
  checks: VerifierPoolChecks;
};

/** A running oracle. */
export type RunningOracle = {
  stats(): OracleStats;
  mirror: ChainMirror;
  /** The shared index (PostgreSQL store): an API in the same process uses it too (`runApi({ shared })`). */
  index: Store;
  /** The oracle's IPFS store (the embedded Helia node takes no second process). */
  store: BlobStore;
  /**
   * Closes the open batch and sends it (waiting at most until it is mined, never for confirmations), then stops
   * everything (and closes the index when the oracle started it); a batch that is not final yet is confirmed by the
   * next start, of this instance or another.
   */
  stop(): Promise<void>;
};

/** Options of `runOracle`. */
export type RunOracleOptions = {
  /**
   * The shared index to use (left open at stop). Without one the oracle starts its own from the environment:
   * `DATABASE_URL`, or the embedded PostgreSQL server under `<dataDir>/postgres`, and closes it at stop.
   */
  index?: Store;
};
