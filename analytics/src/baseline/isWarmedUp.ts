import type { Baseline } from './createBaseline';
import { FIRST_MS, LAST_MS, SAMPLES, WARMED_AT_MS } from './layout';

/** Parameters of {@link isWarmedUp}. */
export type WarmUpParameters = {
  /** Seconds of telemetry before the device is judged. */
  warmupSeconds: number;
  /** And at least this many telemetry samples. */
  warmupSamples: number;
};

/**
 * Whether the device's warm-up is over (and records when it ended the first time it is).
 *
 * @example
 * isWarmedUp(baseline, { warmupSeconds: 600, warmupSamples: 120 }) // false for the first ten minutes
 */
export function isWarmedUp(baseline: Baseline, parameters: WarmUpParameters): boolean {
  const { numbers } = baseline;
  if (!Number.isNaN(numbers[WARMED_AT_MS]!)) return true;
  const elapsedMs = numbers[LAST_MS]! - numbers[FIRST_MS]!;
  if (!(elapsedMs >= parameters.warmupSeconds * 1000 && numbers[SAMPLES]! >= parameters.warmupSamples)) return false;
  numbers[WARMED_AT_MS] = numbers[LAST_MS]!;
  return true;
}
