import { FEATURE_COUNT, FEATURE_INDEX, FEATURES } from '../features/features';
import type { Baseline } from './createBaseline';
import { COUNT, FAST, LOCATION, PEAK_IN, PEAK_OUT, SCALE } from './layout';

/** Parameters of {@link learnTelemetry}. */
export type LearnTelemetryParameters = {
  /** Transformed values of the interval itself (the peak trackers follow single intervals). */
  transformed: Float64Array;
  intervalSeconds: number;
  /** Time constant of the long window (location and spread), seconds. */
  baselineSeconds: number;
  /** Residuals are clamped to ± this many spreads before they move the baseline (winsorised update). */
  winsorizeZ: number;
  /** Samples after which the winsorised update starts (before: plain running mean, the warm-up). */
  robustAfterSamples: number;
};

/** √(π/2): mean absolute deviation × this = σ for normal noise. */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);
/** Quantile the peak trackers follow. */
export const PEAK_QUANTILE = 0.95;

/**
 * Robust online update of the location and spread of every feature's short-window series, and of the packet-rate
 * peaks. Location: EWMA of the residual clamped to ± `winsorizeZ` spreads (a Huber-type M-estimate), so a burst
 * moves it by a bounded step; spread: EWMA of the clamped absolute residual × √(π/2). Step size
 * max(1/n, 1 − exp(−interval / baselineSeconds)): a running mean during the warm-up, then an exponential window.
 * The caller skips this while the device is flagged (frozen baseline).
 *
 * @example
 * if (!frozen) learnTelemetry(baseline, { transformed, intervalSeconds: 1, baselineSeconds: 900, winsorizeZ: 3, robustAfterSamples: 30 })
 */
export function learnTelemetry(baseline: Baseline, parameters: LearnTelemetryParameters): void {
  const { numbers } = baseline;
  const longAlpha = 1 - Math.exp(-parameters.intervalSeconds / parameters.baselineSeconds);
  for (let index = 0; index < FEATURE_COUNT; index++) {
    const fast = numbers[FAST + index]!;
    if (Number.isNaN(fast)) continue;
    const count = numbers[COUNT + index]!;
    if (count === 0) {
      numbers[LOCATION + index] = fast;
      numbers[SCALE + index] = 0;
      numbers[COUNT + index] = 1;
      continue;
    }
    const alpha = Math.max(1 / (count + 1), longAlpha);
    const location = numbers[LOCATION + index]!;
    const scale = numbers[SCALE + index]!;
    let residual = fast - location;
    if (count >= parameters.robustAfterSamples) {
      const bound = parameters.winsorizeZ * Math.max(scale, FEATURES[index]!.scaleFloor);
      residual = Math.min(bound, Math.max(-bound, residual));
    }
    numbers[LOCATION + index] = location + alpha * residual;
    numbers[SCALE + index] = scale + alpha * (Math.abs(residual) * MAD_TO_SIGMA - scale);
    numbers[COUNT + index] = Math.min(count + 1, 1e9);
  }
  trackPeak(
    numbers,
    PEAK_IN,
    parameters.transformed[FEATURE_INDEX.packetsInPerSec]!,
    FEATURE_INDEX.packetsInPerSec,
    longAlpha,
  );
  trackPeak(
    numbers,
    PEAK_OUT,
    parameters.transformed[FEATURE_INDEX.packetsOutPerSec]!,
    FEATURE_INDEX.packetsOutPerSec,
    longAlpha,
  );
}

/** Robbins–Monro quantile tracker: up by p × step above, down by (1 − p) × step below; settles at the p-quantile. */
function trackPeak(numbers: Float64Array, slot: number, value: number, feature: number, alpha: number) {
  if (Number.isNaN(value)) return;
  const peak = numbers[slot]!;
  if (Number.isNaN(peak)) {
    numbers[slot] = value;
    return;
  }
  const step = 4 * Math.max(alpha, 0.01) * Math.max(numbers[SCALE + feature]!, FEATURES[feature]!.scaleFloor);
  numbers[slot] = peak + (value > peak ? PEAK_QUANTILE * step : -(1 - PEAK_QUANTILE) * step);
}
