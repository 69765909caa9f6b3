/**
 * Analytics (issue 6): per-device behaviour baselines, detectors and the analyzer, with the evaluation and dataset
 * commands (`eval/cli.ts`, `dataset/cli.ts`).
 */
export * from './createAnalyzer';
export * from './errors';
export * from './engine/types';
export {
  analyzerConfigSchema,
  parseAnalyzerConfig,
  type AnalyzerConfig,
  type AnalyzerConfigInput,
} from './engine/config';
export { analyzerMessageSchema, type AnalyzerMessage } from './engine/messages';
export { FEATURES, FEATURE_COUNT, FEATURE_INDEX, type FeatureName, type FeatureSpec } from './features/features';
export { TELEMETRY_DETECTORS, SNAPSHOT_DETECTORS, DETECTOR_NAMES } from './detect/detectors';
export type { DetectorName, TelemetryDetectorName, SnapshotFindingName } from './detect/types';
export type { FeatureEvidence } from './baseline/describeFeature';
export * from './topology';
export { DEVICE_STATE_VERSION } from './engine/deviceStateCodec';
export { fromJsonSafe, toJsonSafe } from './engine/jsonSafe';
