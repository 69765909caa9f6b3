import { FEATURE_INDEX } from '../features/features';
import type { TelemetryDetector } from './types';

const FAILED = FEATURE_INDEX.failedConnectionsPerSec;

/**
 * Repeated failed connections: failed TCP connection attempts per second far above the device's usual rate.
 * Statistic: z of ln(failed/s + 0.5) (the offset is the resolution of one failure in a two-second window, so a
 * single failure is not an event). Resets, retransmits and session length are reported as corroborating evidence.
 *
 * @example
 * failedConnections.statistic(z) // ≈ 15 at 2 failures/s on a device that fails once an hour
 */
export const failedConnections: TelemetryDetector = {
  name: 'failed-connections',
  rule: 'z of failed connection attempts per second (log) above the threshold',
  features: ['failedConnectionsPerSec', 'resetsPerSec', 'retransmitsPerSec', 'meanSessionSeconds'],
  explainedBy: [],
  statistic: (z) => z[FAILED]!,
};
