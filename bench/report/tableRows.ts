import type { GasBenchResult } from '../gas/runGasBench';
import { GAS_TARGETS } from '../gas/targets';
import type { BenchResults } from '../runBench';
import { BENCH_TARGETS } from './targets';

/** One line of the results table: a figure beside its target. */
export type TableRow = {
  section: string;
  figure: string;
  /** The measured value (undefined when the section did not produce it). */
  value: number | undefined;
  unit: string;
  /** The target as text (`>= 5,000`), empty without one. */
  target: string;
  /** `met`, `missed`, empty without a target, or why there is no value. */
  verdict: string;
};

const n = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 1 });
type Compare = 'min' | 'max' | 'below';

function row(
  section: string,
  figure: string,
  value: number | undefined,
  unit: string,
  target?: [Compare, number],
): TableRow {
  if (target === undefined) return { section, figure, value, unit, target: '', verdict: '' };
  const [compare, limit] = target;
  const text = `${compare === 'min' ? '>=' : compare === 'max' ? '<=' : '<'} ${n(limit)}`;
  if (value === undefined || !Number.isFinite(value))
    return { section, figure, value, unit, target: text, verdict: 'no value' };
  const met = compare === 'min' ? value >= limit : compare === 'max' ? value <= limit : value < limit;
  return { section, figure, value, unit, target: text, verdict: met ? 'met' : 'missed' };
}

function gasRows(gas: GasBenchResult): TableRow[] {
  const rows = gas.actions
    .filter((action) => action.target !== undefined)
    .map((action) => row('gas', action.name, action.gasUsed, 'gas', ['max', action.target!]));
  const at1024 = gas.anchoring.find((figure) => figure.batchSize === 1024);
  rows.push(
    row('gas', 'anchoring per snapshot at 1,024', at1024?.gasPerSnapshot, 'gas', [
      'max',
      GAS_TARGETS.anchorPerSnapshotAt1024,
    ]),
  );
  rows.push(row('gas', 'naive / batched at 1,024', gas.ratioAt1024, 'x', ['min', gas.ratioTarget]));
  return rows;
}

/** A section that did not run, as one row saying why. */
function absent(section: string, outcome: { status: string; reason?: string; error?: string }): TableRow {
  const why = outcome.status === 'skipped' ? `skipped: ${outcome.reason}` : `failed: ${outcome.error?.split('\n')[0]}`;
  return { section, figure: '(no figures)', value: undefined, unit: '', target: '', verdict: why.slice(0, 160) };
}

/**
 * The table of every figure with its target and verdict, in section order.
 *
 * @example
 * const rows = tableRows(results) // [{ section: 'gas', figure: 'buy', value: 71951, unit: 'gas', target: '<= 90,000', verdict: 'met' }, …]
 */
export function tableRows(results: Omit<BenchResults, 'table'>): TableRow[] {
  const rows: TableRow[] = [];
  const { gas, ingest, api, agent, soak } = results.sections;
  rows.push(...(gas.status === 'ok' ? gasRows(gas.result) : [absent('gas', gas)]));
  if (ingest.status !== 'ok') rows.push(absent('ingest', ingest));
  else {
    for (const run of ingest.result.runs) {
      const section = `ingest ${run.broker} ${n(run.devices)} dev`;
      const { telemetry, snapshots, paced } = run.phases;
      rows.push(
        row(section, 'telemetry msg/s end to end', telemetry?.throughput.perSecond, '/s', [
          'min',
          BENCH_TARGETS.telemetryPerSecond,
        ]),
      );
      rows.push(
        row(section, 'full snapshots/s end to end (full speed)', snapshots?.throughput.perSecond, '/s', [
          'min',
          BENCH_TARGETS.snapshotsPerSecond,
        ]),
      );
      rows.push(row(section, 'p50 publish→anchored (full speed)', snapshots?.latency?.p50Ms, 'ms'));
      rows.push(row(section, 'p99 publish→anchored (full speed)', snapshots?.latency?.p99Ms, 'ms'));
      if (paced) {
        const at = `at ${n(paced.ratePerSecond ?? 0)}/s offered`;
        rows.push(row(section, `p50 publish→anchored ${at}`, paced.latency?.p50Ms, 'ms'));
        rows.push(
          row(section, `p99 publish→anchored ${at}`, paced.latency?.p99Ms, 'ms', [
            'below',
            BENCH_TARGETS.anchoredP99Ms,
          ]),
        );
      }
      rows.push(
        row(section, 'oracle RSS after start (idle)', run.oracle.startRssMiB, 'MiB', [
          'max',
          BENCH_TARGETS.oracleIdleRssMiB,
        ]),
      );
      rows.push(row(section, 'oracle RSS peak', run.oracle.peakRssMiB, 'MiB'));
    }
    for (const skipped of ingest.result.skipped)
      rows.push(absent(`ingest ${skipped.broker}`, { status: 'skipped', reason: skipped.reason }));
    for (const failed of ingest.result.failed)
      rows.push(absent(`ingest ${failed.broker} ${n(failed.devices)} dev`, { status: 'failed', error: failed.error }));
  }
  if (api.status !== 'ok') rows.push(absent('api', api));
  else {
    const section = `api (${n(api.result.population.twins)} twins)`;
    rows.push(
      row(section, 'GET /twins/:deviceId req/s', api.result.twin.perSecond, '/s', [
        'min',
        BENCH_TARGETS.apiTwinPerSecond,
      ]),
    );
    rows.push(
      row(section, 'GET /twins/:deviceId p99', api.result.twin.p99Ms, 'ms', ['below', BENCH_TARGETS.apiTwinP99Ms]),
    );
    rows.push(row(section, 'GET /twins?page= req/s', api.result.page.perSecond, '/s'));
    rows.push(row(section, 'GET /twins?page= p99', api.result.page.p99Ms, 'ms'));
    rows.push(row(section, 'bare node:http req/s (same run, same load)', api.result.bare.perSecond, '/s'));
    rows.push(
      row(
        section,
        'GET /twins/:deviceId, share of bare node:http',
        Math.round(api.result.twinToBare * 1_000) / 10,
        '%',
      ),
    );
    const cache = api.result.twinCache;
    if (cache)
      rows.push(row(section, 'GET /twins/:deviceId, view cache hit rate', Math.round(cache.hitRate * 1_000) / 10, '%'));
  }
  if (agent.status !== 'ok') rows.push(absent('agent', agent));
  else {
    rows.push(
      row('agent', 'CPU per full snapshot (median)', agent.result.snapshotCpuMsMedian, 'ms', [
        'max',
        BENCH_TARGETS.agentCpuMs,
      ]),
    );
    const rssMB = Math.round(agent.result.peakRssMiB * 1.048576 * 10) / 10;
    rows.push(row('agent', 'peak RSS (whole process)', rssMB, 'MB', ['max', BENCH_TARGETS.agentRssMB]));
  }
  if (soak.status !== 'ok') rows.push(absent('soak', soak));
  else {
    const section = `soak ${soak.result.minutes} min`;
    rows.push(row(section, 'oracle RSS at start', soak.result.startRssMiB, 'MiB'));
    rows.push(row(section, 'oracle RSS at end', soak.result.endRssMiB, 'MiB'));
    rows.push(row(section, 'oracle RSS peak', soak.result.peakRssMiB, 'MiB'));
    rows.push(
      row(section, 'RSS slope, second half (flat)', soak.result.secondHalfSlopeMiBPerMinute, 'MiB/min', [
        'max',
        BENCH_TARGETS.soakSlopeMiBPerMinute,
      ]),
    );
  }
  return rows;
}
