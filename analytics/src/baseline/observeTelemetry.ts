import { FEATURE_COUNT, FEATURES } from '../features/features';
import type { Baseline } from './createBaseline';
import { COUNT, FAST, FIRST_MS, LAST_MS, LOCATION, SAMPLES, SCALE } from './layout';

/** Parameters of {@link observeTelemetry}. */
export type ObserveTelemetryParameters = {
  /** Transformed feature values of the interval (NaN: not reported). */
  transformed: Float64Array;
  /** When the interval ended, ms since the epoch. */
  atMs: number;
  /** Length of the interval, seconds. */
  intervalSeconds: number;
  /** Time constant of the short window, seconds. */
  fastSeconds: number;
  /** Largest move of the short window away from the baseline per interval, in baseline spreads (slew limit). */
  maxStepZ: number;
  /** The slew limit applies once a feature has this many learned samples (its spread means something). */
  robustAfterSamples: number;
};

/**
 * Folds one telemetry interval into the short-window values (always, frozen or not: they are what is judged) and
 * advances the device's clock. Step size 1 − exp(−interval / fastSeconds), so the window is in seconds whatever the
 * telemetry rate; one interval moves it away from the baseline by at most `maxStepZ` baseline spreads, so a single
 * extreme value cannot carry the window past a detector's threshold on its own: only several abnormal intervals in a
 * row can. Moves back toward the baseline are not limited (an episode's end is seen at once).
 *
 * @example
 * observeTelemetry(baseline, { transformed, atMs, intervalSeconds: 1, fastSeconds: 4, maxStepZ: 3, robustAfterSamples: 30 })
 */
export function observeTelemetry(baseline: Baseline, parameters: ObserveTelemetryParameters): void {
  const { numbers } = baseline;
  const { transformed, atMs } = parameters;
  const alpha = 1 - Math.exp(-parameters.intervalSeconds / parameters.fastSeconds);
  for (let index = 0; index < FEATURE_COUNT; index++) {
    const value = transformed[index]!;
    if (Number.isNaN(value)) continue;
    const fast = numbers[FAST + index]!;
    if (Number.isNaN(fast)) {
      numbers[FAST + index] = value;
      continue;
    }
    let step = alpha * (value - fast);
    const location = numbers[LOCATION + index]!;
    const away = Math.abs(fast + step - location) > Math.abs(fast - location);
    if (away && numbers[COUNT + index]! >= parameters.robustAfterSamples) {
      const bound = parameters.maxStepZ * Math.max(numbers[SCALE + index]!, FEATURES[index]!.scaleFloor);
      step = Math.min(bound, Math.max(-bound, step));
    }
    numbers[FAST + index] = fast + step;
  }
  if (Number.isNaN(numbers[FIRST_MS]!)) numbers[FIRST_MS] = atMs;
  numbers[LAST_MS] = atMs;
  numbers[SAMPLES] = numbers[SAMPLES]! + 1;
}
