/**
 * The `p`-th percentile (0-100) of `values` by the nearest-rank method; NaN for no values.
 *
 * @example
 * percentile([5, 1, 3], 50) // 3
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** p50, p99 and the maximum of a latency sample, ms, with its size. */
export type LatencySummary = { count: number; p50Ms: number; p99Ms: number; maxMs: number };

/**
 * Summarises latencies (ms).
 *
 * @example
 * summarizeLatency([120, 80, 4000]) // { count: 3, p50Ms: 120, p99Ms: 4000, maxMs: 4000 }
 */
export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary {
  return {
    count: latenciesMs.length,
    p50Ms: round(percentile(latenciesMs, 50)),
    p99Ms: round(percentile(latenciesMs, 99)),
    maxMs: round(latenciesMs.length === 0 ? Number.NaN : Math.max(...latenciesMs)),
  };
}

/**
 * Least-squares slope of `y` over `x` (units of y per unit of x); NaN with fewer than two points.
 *
 * @example
 * slope([0, 1, 2], [10, 12, 14]) // 2
 */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return Number.NaN;
  const mx = x.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = y.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i]! - mx) * (y[i]! - my);
    den += (x[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * Rounds to `digits` decimals (default 1), keeping NaN.
 *
 * @example
 * round(3.14159, 2) // 3.14
 */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
