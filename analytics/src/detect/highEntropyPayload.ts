import { FEATURE_INDEX } from '../features/features';
import type { TelemetryDetector } from './types';

const ENTROPY = FEATURE_INDEX.payloadSizeEntropyBits;

/**
 * High-entropy payload sizes: the payload-size distribution much more spread (Shannon entropy, bits) than the
 * device's usual one: sizes drawn near-uniformly, as tunnelling or padding-based obfuscation produce.
 * Statistic: z of the entropy (bits).
 *
 * @example
 * highEntropyPayload.statistic(z) // ≈ 40 at 10 bits on a device whose sizes carry 4
 */
export const highEntropyPayload: TelemetryDetector = {
  name: 'high-entropy-payload',
  rule: 'z of payload-size entropy (bits) above the threshold',
  features: ['payloadSizeEntropyBits', 'meanPayloadBytes'],
  explainedBy: [],
  statistic: (z) => z[ENTROPY]!,
};
