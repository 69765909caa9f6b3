/**
 * A detector's score in [0, 1) from its statistic `d` (baseline spreads) and its threshold `θ`:
 * d² / (d² + θ²) for d > 0, else 0. 0.5 exactly at the threshold, 0.8 at twice it, 0.94 at four times.
 *
 * @example
 * scoreOf(5, 5) // 0.5
 * scoreOf(20, 5) // 0.941
 */
export function scoreOf(statistic: number, threshold: number): number {
  if (!(statistic > 0)) return 0;
  const squared = statistic * statistic;
  return squared / (squared + threshold * threshold);
}
