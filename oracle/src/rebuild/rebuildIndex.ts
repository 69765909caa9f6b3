import type { Provider } from 'ethers';
import type { BlobStore } from '../../../blobs/src';
import { chainEventsNamed, indexHoldings, type IndexHoldings, type Store } from '../../../store/src';
import type { Deployment } from '../../../twin-core/src/deployment/deployment';
import type { OracleLog } from '../run/types';
import { createChainMirror } from '../chain/createChainMirror';
import type { AnchorEvent } from '../chain/events';
import { createDeviceSigners } from './deviceSigners';
import { RebuildError } from './errors';
import { rebuildBatch, type RebuildProblem } from './rebuildBatch';

/** Parameters of {@link rebuildIndex}. */
export type RebuildIndexParameters = {
  /** The target index (migrated). */
  index: Store;
  /** Where the manifests and snapshots are read: a node that reaches the live instances' blobs. */
  blobs: BlobStore;
  provider: Provider;
  deployment: Deployment;
  /** Blocks on top of an event before it is replayed, as the oracle's mirror counts them. */
  confirmations: number;
  /** Go on into a database that holds an index (a rebuild interrupted, a restored backup): what it holds is kept. */
  resume?: boolean;
  /** How long one manifest or snapshot fetch may take, ms (default 30,000). */
  fetchTimeoutMs?: number;
  /** Snapshots of a batch fetched at once (default 8). */
  fetchConcurrency?: number;
  /** Problems kept in the summary, at most (default 1,000; all are logged and counted). */
  maxProblemsKept?: number;
  log?: OracleLog;
};

/** What {@link rebuildIndex} rebuilt and what it could not. */
export type RebuildSummary = {
  /** What the target held before (all zero for a fresh database). */
  before: IndexHoldings;
  /** The chain mirror's replay: the blocks applied and the events recorded. */
  chain: { fromBlock: number; toBlock: number; events: number };
  batches: {
    /** `BatchAnchored` events found. */
    anchored: number;
    /** Rebuilt whole by this run. */
    rebuilt: number;
    /** Held whole already (a resumed rebuild): skipped. */
    held: number;
    /** Some leaves not rebuilt. */
    partial: number;
    /** The manifest could not be fetched or failed its checks: nothing of it rebuilt. */
    failed: number;
  };
  snapshots: { restored: number; inserted: number; failed: number };
  /** Every problem counted (batches and leaves). */
  problemCount: number;
  /** The first {@link RebuildIndexParameters.maxProblemsKept} problems. */
  problems: RebuildProblem[];
  /** Whether everything on chain is in the index now. */
  complete: boolean;
  /** After: what the index holds. */
  after: IndexHoldings;
  durationMs: number;
};

const PAGE = 100;

/**
 * Rebuilds the shared index from the chain and IPFS (disaster recovery): first every registry event from the
 * deployment block through the oracle's chain mirror (twins, entities, sales, updates, state changes, notifications,
 * the chain event log and cursor), then every `BatchAnchored` event in chain order, one batch at a time
 * ({@link rebuildBatch}: the manifest checked against the event, each snapshot against its leaf and the device key
 * the chain vouches for, written as a confirmed batch with proofs and the replay ledger). A batch or leaf that
 * cannot be fetched or fails a check is logged by name, counted and skipped; the rest goes on. Refuses a database
 * holding an index unless `resume`: then the mirror resumes after its cursor and batches held whole are skipped, so a
 * second run changes nothing. What the chain and IPFS never held (telemetry, alerts, rejections, unanchored
 * snapshots) cannot be rebuilt.
 *
 * @example
 * const summary = await rebuildIndex({ index, blobs, provider, deployment, confirmations: 1, log })
 * if (!summary.complete) process.exitCode = 3
 */
export async function rebuildIndex(parameters: RebuildIndexParameters): Promise<RebuildSummary> {
  const started = Date.now();
  const { index, blobs, provider, deployment } = parameters;
  const log = parameters.log ?? (() => undefined);
  const keep = parameters.maxProblemsKept ?? 1_000;
  const before = await indexHoldings(index);
  const held = Object.entries(before).filter(([, count]) => count > 0);
  if (held.length > 0 && parameters.resume !== true) {
    throw new RebuildError('The database already holds an index.', {
      details:
        `it holds ${held.map(([what, count]) => `${count} ${what}`).join(', ')}: rebuild into an empty database, or ` +
        'pass --resume to go on into this one (what it holds is kept, batches it holds whole are skipped)',
    });
  }
  log('info', 'rebuild: replaying the chain', {
    resume: held.length > 0,
    deploymentBlock: deployment.deploymentBlock,
    confirmations: parameters.confirmations,
  });
  const mirror = createChainMirror({
    provider,
    deployment,
    index,
    confirmations: parameters.confirmations,
    onError: (error) => log('warn', 'rebuild: chain mirror error', { error: (error as Error).message }),
  });
  let synced: Awaited<ReturnType<typeof mirror.syncOnce>>;
  try {
    synced = await mirror.syncOnce();
  } finally {
    await mirror.stop();
  }
  if (!synced.leading) {
    throw new RebuildError('Another instance leads the chain mirror on this database.', {
      details: 'an oracle is running on it: stop every oracle on this database before rebuilding into it',
    });
  }
  log('info', 'rebuild: chain replayed', {
    fromBlock: synced.fromBlock,
    toBlock: synced.toBlock,
    events: synced.events,
    head: synced.head,
  });

  const summary: RebuildSummary = {
    before,
    chain: { fromBlock: synced.fromBlock, toBlock: synced.toBlock, events: synced.events },
    batches: { anchored: 0, rebuilt: 0, held: 0, partial: 0, failed: 0 },
    snapshots: { restored: 0, inserted: 0, failed: 0 },
    problemCount: 0,
    problems: [],
    complete: false,
    after: before,
    durationMs: 0,
  };
  const signers = createDeviceSigners(index);
  const blockTimes = new Map<number, Promise<number>>();
  const blockTime = (block: number) => {
    let time = blockTimes.get(block);
    if (time === undefined) {
      if (blockTimes.size > 1_000) blockTimes.clear();
      time = provider.getBlock(block).then((found) => (found?.timestamp ?? Math.floor(Date.now() / 1000)) * 1000);
      time.catch(() => blockTimes.delete(block));
      blockTimes.set(block, time);
    }
    return time;
  };
  // The mirror logged every BatchAnchored up to its cursor; read them back a page at a time (bounded memory).
  let after = { block: -1, logIndex: -1 };
  for (;;) {
    const page = await chainEventsNamed(index, 'BatchAnchored', { after, limit: PAGE });
    if (page.length === 0) break;
    after = page.at(-1)!;
    for (const stored of page) {
      const anchored = stored.payload as AnchorEvent;
      const event = {
        block: stored.block,
        logIndex: stored.logIndex,
        tx: stored.tx,
        batchId: anchored.batchId,
        root: anchored.root,
        leafCount: anchored.leafCount,
        manifestCid: anchored.manifestCid,
      };
      summary.batches.anchored++;
      const result = await rebuildBatch({
        index,
        blobs,
        signers,
        event,
        blockTime,
        timeoutMs: parameters.fetchTimeoutMs ?? 30_000,
        concurrency: parameters.fetchConcurrency ?? 8,
      });
      summary.batches[result.outcome]++;
      summary.snapshots.restored += result.restored;
      summary.snapshots.inserted += result.insertedSnapshots;
      summary.snapshots.failed += result.problems.filter((problem) => problem.leaf !== undefined).length;
      if (result.outcome === 'failed') summary.snapshots.failed += event.leafCount;
      for (const problem of result.problems) {
        summary.problemCount++;
        if (summary.problems.length < keep) summary.problems.push(problem);
        log('warn', problem.leaf === undefined ? 'rebuild: batch not rebuilt' : 'rebuild: leaf not rebuilt', {
          batchId: problem.batchId,
          root: problem.root,
          manifestCid: problem.manifestCid,
          ...(problem.leaf === undefined ? {} : { leaf: problem.leaf }),
          reason: problem.reason,
        });
      }
      if (result.outcome !== 'held' || summary.batches.anchored % PAGE === 0) {
        log('info', `rebuild: batch ${result.outcome}`, {
          batchId: event.batchId,
          block: event.block,
          leaves: event.leafCount,
          restored: result.restored,
          batchesDone: summary.batches.anchored,
        });
      }
    }
  }
  summary.after = await indexHoldings(index);
  summary.complete = summary.problemCount === 0;
  summary.durationMs = Date.now() - started;
  log(summary.complete ? 'info' : 'warn', 'rebuild: done', {
    complete: summary.complete,
    chainEvents: summary.chain.events,
    batches: summary.batches,
    snapshots: summary.snapshots,
    problems: summary.problemCount,
    durationMs: summary.durationMs,
  });
  return summary;
}
