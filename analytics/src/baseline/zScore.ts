import { FEATURES } from '../features/features';
import type { Baseline } from './createBaseline';
import { COUNT, FAST, LOCATION, SCALE } from './layout';

/**
 * How far a feature's short-window value is from the device's baseline, in baseline spreads (the spread floored at
 * the feature's `scaleFloor`); positive above. NaN when the feature was never reported.
 *
 * @example
 * zScore(baseline, FEATURE_INDEX.establishedConnections) // 48.2 during a connection flood
 */
export function zScore(baseline: Baseline, feature: number): number {
  const { numbers } = baseline;
  if (numbers[COUNT + feature] === 0) return Number.NaN;
  const scale = Math.max(numbers[SCALE + feature]!, FEATURES[feature]!.scaleFloor);
  return (numbers[FAST + feature]! - numbers[LOCATION + feature]!) / scale;
}
