import { FEATURE_INDEX, FEATURES, type FeatureName } from '../features/features';
import { untransformFeature } from '../features/transformFeature';
import type { Baseline } from './createBaseline';
import { FAST, LOCATION, SCALE } from './layout';
import { zScore } from './zScore';

/** One feature of an alert's evidence: observed (short window) against the device's baseline, in the raw unit. */
export type FeatureEvidence = {
  feature: FeatureName;
  unit: string;
  /** Short-window value (geometric mean for log features). */
  observed: number;
  /** Baseline location. */
  baseline: number;
  /** Baseline location ± one spread, in the raw unit (asymmetric for log features). */
  usualRange: [number, number];
  /** Baseline spreads between them (the `scaleFloor`ed spread), 2 decimals. */
  z: number;
};

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * A feature's evidence for an alert.
 *
 * @example
 * describeFeature(baseline, 'establishedConnections')
 * // { feature: 'establishedConnections', unit: 'connections', observed: 812, baseline: 6.1, usualRange: [4.9, 7.5], z: 41.3 }
 */
export function describeFeature(baseline: Baseline, feature: FeatureName): FeatureEvidence {
  const index = FEATURE_INDEX[feature];
  const spec = FEATURES[index]!;
  const { numbers } = baseline;
  const location = numbers[LOCATION + index]!;
  const spread = Math.max(numbers[SCALE + index]!, spec.scaleFloor);
  return {
    feature,
    unit: spec.unit,
    observed: round(untransformFeature(spec, numbers[FAST + index]!)),
    baseline: round(untransformFeature(spec, location)),
    usualRange: [
      round(untransformFeature(spec, location - spread)),
      round(untransformFeature(spec, location + spread)),
    ],
    z: Math.round(zScore(baseline, index) * 100) / 100,
  };
}
