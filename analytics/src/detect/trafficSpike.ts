import { FEATURE_INDEX } from '../features/features';
import { meanOf } from './combine';
import type { TelemetryDetector } from './types';

const IN = FEATURE_INDEX.packetsInPerSec;
const OUT = FEATURE_INDEX.packetsOutPerSec;

/**
 * Sudden traffic spike: the packet rate, in and out, far above the device's own usual rate. Statistic: mean of the
 * z-scores of ln(packets/s + 1) in and out (a surge in both directions). Behaviours that raise the rate as a side
 * effect of a more specific signature explain it away.
 *
 * @example
 * trafficSpike.statistic(z) // ≈ 8 when a device at 20 packets/s sends 200
 */
export const trafficSpike: TelemetryDetector = {
  name: 'traffic-spike',
  rule: 'mean z of packets in/out per second (log) above the threshold',
  features: ['packetsInPerSec', 'packetsOutPerSec', 'bytesInPerSec', 'bytesOutPerSec', 'newConnectionsPerSec'],
  explainedBy: ['protocol-mix', 'timing-anomaly', 'connection-flood', 'high-entropy-payload'],
  statistic: (z) => meanOf([z[IN]!, z[OUT]!]),
};
