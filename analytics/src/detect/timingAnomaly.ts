import { FEATURE_INDEX } from '../features/features';
import { meanOf } from './combine';
import type { TelemetryDetector } from './types';

const CV = FEATURE_INDEX.interArrivalCv;
const JITTER = FEATURE_INDEX.jitterMs;

/**
 * Timing anomaly: traffic far more irregular than usual: the coefficient of variation of inter-arrival gaps and
 * the jitter both up. Statistic: mean of their z-scores (log), one-sided (too regular is beaconing's business).
 *
 * @example
 * timingAnomaly.statistic(z) // ≈ 15 at inter-arrival CV 5 and jitter × 10
 */
export const timingAnomaly: TelemetryDetector = {
  name: 'timing-anomaly',
  rule: 'mean z of inter-arrival CV and jitter (log) above the threshold',
  features: ['interArrivalCv', 'jitterMs', 'latencyMs', 'packetsInPerSec', 'packetsOutPerSec'],
  explainedBy: [],
  statistic: (z) => meanOf([z[CV]!, z[JITTER]!]),
};
