import { BLOCK_INTERVAL_MS } from '../benchEnvironment';
import { BENCH_ORACLE_SETTINGS } from '../ingest/measureIngestRun';

/**
 * Issue 7's and issue 15's targets beyond gas (gas targets: `bench/gas/targets.ts`). Throughputs are minimums; latencies, CPU,
 * memory and the soak's RSS slope maximums.
 *
 * @example
 * value >= BENCH_TARGETS.telemetryPerSecond ? 'met' : 'missed'
 */
export const BENCH_TARGETS = {
  /** Telemetry messages per second, sustained end to end. */
  telemetryPerSecond: 5_000,
  /** Full snapshots per second, sustained end to end. */
  snapshotsPerSecond: 500,
  /** p99 publish-to-anchored: two block intervals plus the batch age, ms. */
  anchoredP99Ms: 2 * BLOCK_INTERVAL_MS + BENCH_ORACLE_SETTINGS.batchAgeMs,
  /** Issue 15: the oracle's RSS once started and mirrored, before any load, MiB (at most). */
  oracleIdleRssMiB: 200,
  /** `GET /api/v1/twins/:deviceId`: requests per second, and p99 latency (ms, below). */
  apiTwinPerSecond: 5_000,
  apiTwinP99Ms: 20,
  /** The agent, per full snapshot: CPU ms, and peak RSS in MB (10^6 bytes). */
  agentCpuMs: 100,
  agentRssMB: 60,
  /** "Memory flat": RSS slope over the soak's second half at most this, MiB per minute. */
  soakSlopeMiBPerMinute: 1,
} as const;
