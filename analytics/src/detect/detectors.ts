import { BEHAVIOURS } from '../../../twin-core/src/messages/behaviour';
import { beaconing } from './beaconing';
import { connectionFlood } from './connectionFlood';
import { failedConnections } from './failedConnections';
import { highEntropyPayload } from './highEntropyPayload';
import { newListeningPort } from './newListeningPort';
import { protocolMix } from './protocolMix';
import { timingAnomaly } from './timingAnomaly';
import { trafficSpike } from './trafficSpike';
import type { DetectorName, SnapshotDetector, TelemetryDetector, TelemetryDetectorName } from './types';
import { unexpectedProcess } from './unexpectedProcess';

const byName: Record<TelemetryDetectorName, TelemetryDetector> = {
  'traffic-spike': trafficSpike,
  'protocol-mix': protocolMix,
  'failed-connections': failedConnections,
  'high-entropy-payload': highEntropyPayload,
  'timing-anomaly': timingAnomaly,
  'connection-flood': connectionFlood,
  beaconing,
};

/** The telemetry detectors, one per abnormal behaviour, in twin-core `BEHAVIOURS` order. */
export const TELEMETRY_DETECTORS: readonly TelemetryDetector[] = BEHAVIOURS.filter(
  (behaviour) => behaviour !== 'normal',
).map((behaviour) => byName[behaviour as TelemetryDetectorName]);

/** The snapshot detectors. */
export const SNAPSHOT_DETECTORS: readonly SnapshotDetector[] = [newListeningPort, unexpectedProcess];

/** Every detector name: telemetry detectors then snapshot detectors (the order of per-device alert slots). */
export const DETECTOR_NAMES: readonly DetectorName[] = [
  ...TELEMETRY_DETECTORS.map((detector) => detector.name),
  ...SNAPSHOT_DETECTORS.map((detector) => detector.name),
];
