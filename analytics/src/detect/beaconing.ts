import { FEATURE_INDEX } from '../features/features';
import { meanOf } from './combine';
import type { TelemetryDetector } from './types';

const CV = FEATURE_INDEX.interArrivalCv;
const ENTROPY = FEATURE_INDEX.payloadSizeEntropyBits;

/**
 * Beacon-like periodic traffic: outgoing packets far more regular (inter-arrival CV far below usual) with far more
 * uniform sizes (payload-size entropy far below usual) than the device's own traffic: a timer sending the same
 * message. Statistic: mean of −z of the CV (log) and −z of the entropy. A request burst (`traffic-spike`) or a ping
 * flood (`protocol-mix`) makes traffic regular and uniform as a side effect and explains it away.
 *
 * @example
 * beaconing.statistic(z) // ≈ 40 at CV 0.02 and one payload size
 */
export const beaconing: TelemetryDetector = {
  name: 'beaconing',
  rule: 'mean of −z of inter-arrival CV (log) and −z of payload-size entropy above the threshold',
  features: ['interArrivalCv', 'payloadSizeEntropyBits', 'meanInterArrivalMs', 'meanPayloadBytes', 'packetsOutPerSec'],
  explainedBy: ['traffic-spike', 'protocol-mix'],
  statistic: (z) => meanOf([-z[CV]!, -z[ENTROPY]!]),
};
