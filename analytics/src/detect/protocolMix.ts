import { FEATURE_INDEX } from '../features/features';
import type { TelemetryDetector } from './types';

const TCP = FEATURE_INDEX.tcpShare;
const UDP = FEATURE_INDEX.udpShare;
const ICMP = FEATURE_INDEX.icmpShare;

/**
 * Unusual protocol mix: a protocol's share of packets moved far from the device's usual share, either way.
 * Statistic: the largest |z| of √share over TCP, UDP and ICMP (√ stabilises the variance of proportions).
 *
 * @example
 * protocolMix.statistic(z) // ≈ 40 when ICMP goes from 1 % to 60 % of packets
 */
export const protocolMix: TelemetryDetector = {
  name: 'protocol-mix',
  rule: 'largest |z| of √share over TCP, UDP, ICMP above the threshold',
  features: ['tcpShare', 'udpShare', 'icmpShare', 'packetsInPerSec', 'packetsOutPerSec'],
  explainedBy: [],
  statistic: (z) => {
    let largest = Number.NaN;
    for (const index of [TCP, UDP, ICMP]) {
      const value = Math.abs(z[index]!);
      if (!Number.isNaN(value) && !(value <= largest)) largest = value;
    }
    return largest;
  },
};
