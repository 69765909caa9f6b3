import { FEATURE_INDEX } from '../features/features';
import type { TelemetryDetector } from './types';

const CV = FEATURE_INDEX.interArrivalCv;
const JITTER = FEATURE_INDEX.jitterMs;

/**
 * Timing anomaly: traffic far more irregular than usual: the coefficient of variation of inter-arrival gaps and
 * the jitter up. Statistic: the larger of their z-scores (log), one-sided (too regular is beaconing's business):
 * a sender that goes irregular (inter-arrival) or a network path that does (handshake jitter), either suffices
 * (on a device whose link jitter stays at the capture's resolution the mean would halve a sender's irregularity).
 *
 * @example
 * timingAnomaly.statistic(z) // ≈ 15 at inter-arrival CV 5 and jitter × 10
 */
export const timingAnomaly: TelemetryDetector = {
  name: 'timing-anomaly',
  rule: 'larger z of inter-arrival CV and jitter (log) above the threshold',
  features: ['interArrivalCv', 'jitterMs', 'latencyMs', 'packetsInPerSec', 'packetsOutPerSec'],
  explainedBy: [],
  statistic: (z) => {
    const cv = z[CV]!;
    const jitter = z[JITTER]!;
    if (Number.isNaN(cv)) return jitter;
    if (Number.isNaN(jitter)) return cv;
    return Math.max(cv, jitter);
  },
};
