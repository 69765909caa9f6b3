import type { Store } from '../../store/src';
import { loadNow } from '../lib/machine';
import { pollUntil } from '../lib/ports';
import { cpuShare, sampleProcess, sampleProcessTree, type ProcessSample } from '../lib/processSample';
import type { EntryProcess } from '../lib/spawnEntry';
import { round, type LatencySummary } from '../lib/stats';
import { acceptRate, anchoredLatency, throughput, type Throughput } from './ingestFigures';
import { phaseFile, type IngestPhase } from './prepareMessages';
import type { PublishedPhase } from './publisherProcess';
import { countCompleted, readIngestIndex } from './readIngestIndex';
import type { OracleProcess } from './startOracleProcess';

/** The figures of one phase of an ingest run. */
export type PhaseFigures = {
  phase: IngestPhase;
  /** Publishing rate asked for (undefined: full speed). */
  ratePerSecond: number | undefined;
  published: number;
  failedPublishes: number;
  /** How fast the publisher got them out: messages over first-to-last publish time. */
  publishPerSecond: number;
  /** Completed end to end (static: accepted by the oracle). */
  throughput: Throughput;
  /** The oracle's judging rate (10%–90% of the phase accepted), from its counters. */
  acceptedPerSecond: number;
  /** Publish-to-anchored latency (snapshot phases). */
  latency: LatencySummary | undefined;
  /** Everything completed before the wait ended (false: timed out or stalled). */
  complete: boolean;
  /** Share of one core each process used from the first publish to the last completion. */
  cpu: Record<string, number>;
  oraclePeakRssMiB: number;
  loadAverage: number;
};

/** Parameters of {@link runIngestPhase}. */
export type RunIngestPhaseParameters = {
  phase: IngestPhase;
  messagesDirectory: string;
  ratePerSecond?: number;
  publisher: EntryProcess;
  oracle: OracleProcess;
  /** The oracle's store (its PostgreSQL database), read for what completed. */
  index: Store;
  /** Other processes whose CPU share is recorded (broker, chain, publisher…), by name. */
  pids: Record<string, number>;
  /** Processes recorded with their children (the embedded PostgreSQL: postmaster and backends), by name. */
  treePids?: Record<string, number>;
  /** Give up when nothing completes for this long after publishing ended (default 60 s). */
  stallMs?: number;
};

function isPublished(message: unknown): PublishedPhase | undefined {
  return (message as { type?: string }).type === 'published' ? (message as PublishedPhase) : undefined;
}

/**
 * Publishes one phase's prepared messages and waits until the oracle has carried them end to end: telemetry stored
 * on IPFS in a batch and recorded in the store; snapshots in a batch whose anchoring transaction is final; static
 * documents accepted. Then reads the store for throughput and latency.
 *
 * @example
 * const figures = await runIngestPhase({ phase: 'snapshots', messagesDirectory, publisher, oracle, index, pids })
 */
export async function runIngestPhase(parameters: RunIngestPhaseParameters): Promise<PhaseFigures> {
  const { phase, publisher, oracle, index } = parameters;
  const snapshots = phase === 'snapshots' || phase === 'paced';
  const completedNow = async () => {
    if (phase === 'static') return oracle.latest().stats.accepted;
    const counts = await countCompleted(index);
    return phase === 'telemetry' ? counts.telemetry : counts.anchored;
  };
  const acceptedBefore = oracle.latest().stats.accepted;
  const baseline = await completedNow();
  const pids = { oracle: oracle.pid, ...parameters.pids, ...parameters.treePids };
  const trees = new Set(Object.keys(parameters.treePids ?? {}));
  const sample = (name: string, pid: number) => (trees.has(name) ? sampleProcessTree(pid) : sampleProcess(pid));
  const before: Record<string, ProcessSample | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) before[name] = sample(name, pid);
  const samplesFrom = oracle.history.length;

  publisher.child.send({
    type: 'publish',
    file: phaseFile(parameters.messagesDirectory, phase),
    ...(parameters.ratePerSecond !== undefined ? { ratePerSecond: parameters.ratePerSecond } : {}),
  });
  const published = await publisher.waitFor(isPublished, 30 * 60_000, `the ${phase} phase to be published`);
  // Progress: something completed, or the oracle accepted more (completions may come in bunches).
  let completed = await completedNow();
  let progress = { count: completed + oracle.latest().stats.accepted, at: Date.now() };
  const stallMs = parameters.stallMs ?? 60_000;
  await pollUntil(
    async () => {
      completed = await completedNow();
      const count = completed + oracle.latest().stats.accepted;
      if (count > progress.count) progress = { count, at: Date.now() };
      return completed - baseline >= published.count || Date.now() - progress.at > stallMs;
    },
    60 * 60_000,
    250,
  );
  const complete = (await completedNow()) - baseline >= published.count;

  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) cpu[name] = round(cpuShare(before[name], sample(name, pid)), 2);
  const samples = oracle.history.slice(samplesFrom);
  let figures: Throughput;
  let latency: LatencySummary | undefined;
  if (phase === 'static') {
    const points = samples.map((sample) => ({ at: sample.at, count: sample.stats.accepted - acceptedBefore }));
    const deltas = points.map((point, i) => ({ at: point.at, count: point.count - (points[i - 1]?.count ?? 0) }));
    figures = throughput(deltas, published.firstAt, published.count);
  } else {
    const reading = await readIngestIndex(index, { snapshots });
    // The store keeps DeviceIDs in lower case.
    const messages = published.messages.map(([deviceId, seq, at]): [string, number, number] => [
      deviceId.toLowerCase(),
      seq,
      at,
    ]);
    // A snapshot completes when its batch is final: one completion per snapshot of this phase.
    const completions = snapshots
      ? messages.flatMap(([deviceId, seq]) => {
          const at = reading.anchoredAt.get(`${deviceId}:${seq}`);
          return at === undefined ? [] : [{ at, count: 1 }];
        })
      : reading.telemetry;
    figures = throughput(completions, published.firstAt, published.count);
    if (snapshots) latency = anchoredLatency(messages, reading.anchoredAt);
  }
  const publishSeconds = Math.max(0.001, (published.lastAt - published.firstAt) / 1000);
  return {
    phase,
    ratePerSecond: parameters.ratePerSecond,
    published: published.count,
    failedPublishes: published.failed,
    publishPerSecond: round(published.count / publishSeconds),
    throughput: figures,
    acceptedPerSecond: acceptRate(samples, acceptedBefore, published.count),
    latency,
    complete,
    cpu,
    oraclePeakRssMiB: round(Math.max(...samples.map((sample) => sample.rssMiB), oracle.latest().rssMiB)),
    loadAverage: loadNow(),
  };
}
