import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import { FEATURE_COUNT, FEATURES } from './features';
import { transformFeature } from './transformFeature';

/** Result of {@link readFeatures}: raw and transformed values, NaN where the device reports null. */
export type FeatureValues = { raw: Float64Array; transformed: Float64Array };

/**
 * Reads every feature of a telemetry body into `into` (reused buffers, no allocation on the hot path).
 *
 * @example
 * const values = readFeatures(body)
 * values.raw[FEATURE_INDEX.establishedConnections] // 6
 */
export function readFeatures(
  body: TelemetryBody,
  into: FeatureValues = { raw: new Float64Array(FEATURE_COUNT), transformed: new Float64Array(FEATURE_COUNT) },
): FeatureValues {
  for (let index = 0; index < FEATURE_COUNT; index++) {
    const spec = FEATURES[index]!;
    const value = spec.read(body);
    const raw = value === null || !Number.isFinite(value) ? Number.NaN : value;
    into.raw[index] = raw;
    into.transformed[index] = Number.isNaN(raw) ? Number.NaN : transformFeature(spec, raw);
  }
  return into;
}
