import { FEATURE_INDEX } from '../features/features';
import { minOf } from './combine';
import type { TelemetryDetector } from './types';

const ESTABLISHED = FEATURE_INDEX.establishedConnections;
const NEW = FEATURE_INDEX.newConnectionsPerSec;

/**
 * Connection flood: excessive simultaneous connections: established connections and the rate of new ones both far
 * above usual. Statistic: the smaller of the two z-scores (log), so a burst of new connections that do not stay
 * (failed attempts, a scan) is not a flood.
 *
 * @example
 * connectionFlood.statistic(z) // ≈ 30 at 800 established connections on a device that holds 6
 */
export const connectionFlood: TelemetryDetector = {
  name: 'connection-flood',
  rule: 'min z of established connections and new connections per second (log) above the threshold',
  features: ['establishedConnections', 'newConnectionsPerSec', 'resetsPerSec', 'meanSessionSeconds'],
  explainedBy: [],
  statistic: (z) => minOf([z[ESTABLISHED]!, z[NEW]!]),
};
