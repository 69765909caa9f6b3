import { round, summarizeLatency, type LatencySummary } from '../lib/stats';
import type { Completion } from './readIngestIndex';

/** Throughput of one phase, end to end. */
export type Throughput = {
  /** Messages published in the phase. */
  published: number;
  /** Of those, completed end to end (stored and indexed, or anchored and final) when the phase ended. */
  completed: number;
  /** Seconds from the first publish to the last completion. */
  seconds: number;
  /**
   * completed / seconds: the rate the whole pipeline carried over the phase. It includes the pipeline's fixed
   * latency once (batch age, blocks), so a phase must last long enough for that to be small.
   */
  perSecond: number;
};

/**
 * Throughput of a phase from its completions (each a moment and a count, as the index records them), counting only
 * completions at or after `firstPublishAt` and at most `published` messages.
 *
 * @example
 * throughput(reading.telemetry, published.firstAt, published.count) // { published: 20000, completed: 20000, seconds: 41.2, perSecond: 485.4 }
 */
export function throughput(completions: readonly Completion[], firstPublishAt: number, published: number): Throughput {
  const mine = completions.filter((completion) => completion.at >= firstPublishAt).sort((a, b) => a.at - b.at);
  let completed = 0;
  let lastAt = Number.NaN;
  for (const completion of mine) {
    if (completed >= published) break;
    completed = Math.min(published, completed + completion.count);
    lastAt = completion.at;
  }
  const seconds = completed === 0 ? Number.NaN : Math.max(0.001, (lastAt - firstPublishAt) / 1000);
  return { published, completed, seconds: round(seconds), perSecond: completed === 0 ? 0 : round(completed / seconds) };
}

/**
 * Publish-to-anchored latency of each snapshot of a phase: the confirmation time of its batch (the oracle's clock,
 * once the anchoring transaction has its confirmations) minus the moment the publisher published it. Snapshots not
 * anchored are left out (and counted by {@link Throughput.completed}).
 *
 * @example
 * anchoredLatency(published.messages, reading.anchoredAt) // { count: 10000, p50Ms: 5200, p99Ms: 9100, maxMs: 9400 }
 */
export function anchoredLatency(
  messages: readonly [deviceId: string, seq: number, publishedAt: number][],
  anchoredAt: ReadonlyMap<string, number>,
): LatencySummary {
  const latencies: number[] = [];
  for (const [deviceId, seq, publishedAt] of messages) {
    const at = anchoredAt.get(`${deviceId}:${seq}`);
    if (at !== undefined) latencies.push(at - publishedAt);
  }
  return summarizeLatency(latencies);
}

/**
 * The oracle's judging rate: messages it accepted per second (signature checked, journaled, processed) between the
 * moments 10% and 90% of `expected` had been accepted, from its counters sampled every 500 ms.
 *
 * @example
 * acceptRate(oracle.history, before.stats.accepted, published.count)
 */
export function acceptRate(
  samples: readonly { at: number; stats: { accepted: number } }[],
  acceptedBefore: number,
  expected: number,
): number {
  const points = samples.map((sample) => ({ at: sample.at, count: sample.stats.accepted - acceptedBefore }));
  const at10 = points.find((point) => point.count >= 0.1 * expected);
  const at90 = points.find((point) => point.count >= 0.9 * expected);
  if (at10 === undefined || at90 === undefined || at90.at <= at10.at) return Number.NaN;
  return round((at90.count - at10.count) / ((at90.at - at10.at) / 1000));
}
