import type { FeatureSpec } from './features';

/**
 * Maps a raw value into the feature's learning space (see {@link FeatureSpec.transform}).
 *
 * @example
 * transformFeature(FEATURES[FEATURE_INDEX.packetsInPerSec], 9) // ln(9 + 1) ≈ 2.303
 */
export function transformFeature(spec: Pick<FeatureSpec, 'transform' | 'offset'>, raw: number): number {
  if (spec.transform === 'log') return Math.log(Math.max(0, raw) + spec.offset);
  if (spec.transform === 'sqrt') return Math.sqrt(Math.max(0, raw));
  return raw;
}

/**
 * Maps a learned (transformed) value back to the raw unit: what evidence reports as the baseline.
 *
 * @example
 * untransformFeature(FEATURES[FEATURE_INDEX.packetsInPerSec], Math.log(10)) // 9
 */
export function untransformFeature(spec: Pick<FeatureSpec, 'transform' | 'offset'>, value: number): number {
  if (spec.transform === 'log') return Math.max(0, Math.exp(value) - spec.offset);
  if (spec.transform === 'sqrt') return value * value;
  return value;
}
