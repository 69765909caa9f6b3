export * from './types';
export * from './recordTelemetryBatch';
export * from './readTelemetry';
export * from './partitions';
export * from './telemetryBuckets';
export * from './storedReadings';
