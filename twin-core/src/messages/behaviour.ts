import { z } from 'zod';

/**
 * Seed 000's network behaviours: the normal baseline and the seven abnormal ones. The simulator labels every
 * message with the behaviour it produced (ground truth); detectors name the behaviour they flag.
 */
export const BEHAVIOURS = [
  'normal',
  'traffic-spike',
  'protocol-mix',
  'failed-connections',
  'high-entropy-payload',
  'timing-anomaly',
  'connection-flood',
  'beaconing',
] as const;

export const behaviourSchema = z.enum(BEHAVIOURS);
export type Behaviour = z.output<typeof behaviourSchema>;

/** Ground truth attached by the simulator: which behaviour produced this message. Real devices carry none. */
export const groundTruthSchema = z.strictObject({
  behaviour: behaviourSchema,
  anomalous: z.boolean(),
  /** Simulator scenario that scheduled the behaviour (e.g. `mixed`). */
  scenario: z.string().max(64).optional(),
});
export type GroundTruth = z.output<typeof groundTruthSchema>;

/**
 * Network-behaviour metrics over one interval: what behaviour-based detection reads (seed 000). Real devices fill
 * what /proc/net exposes and list the rest in `unavailable` with the reason; the simulator fills everything. Rates
 * are per second over `intervalSeconds`.
 */
export const networkBehaviourSchema = z.strictObject({
  intervalSeconds: z.number().positive(),
  packetsInPerSec: z.number().nonnegative(),
  packetsOutPerSec: z.number().nonnegative(),
  bytesInPerSec: z.number().nonnegative(),
  bytesOutPerSec: z.number().nonnegative(),
  /** Share of TCP segments, UDP datagrams and ICMP messages in the interval (sum 1, or all 0 when idle). */
  protocolMix: z.strictObject({
    tcp: z.number().min(0).max(1),
    udp: z.number().min(0).max(1),
    icmp: z.number().min(0).max(1),
  }),
  /** New outgoing (active) and incoming (passive) TCP connections per second. */
  newConnectionsPerSec: z.number().nonnegative(),
  /** TCP connection attempts that failed, per second (Tcp AttemptFails). */
  failedConnectionsPerSec: z.number().nonnegative(),
  /** TCP resets sent or seen, per second. */
  resetsPerSec: z.number().nonnegative(),
  /** TCP segments retransmitted, per second. */
  retransmitsPerSec: z.number().nonnegative(),
  /** Established TCP connections at the end of the interval. */
  establishedConnections: z.number().int().nonnegative(),
  dnsQueriesPerSec: z.number().nonnegative().nullable(),
  tlsHandshakesPerSec: z.number().nonnegative().nullable(),
  /** Mean duration of the sessions that closed in the interval, seconds. */
  meanSessionSeconds: z.number().nonnegative().nullable(),
  latencyMs: z.number().nonnegative().nullable(),
  jitterMs: z.number().nonnegative().nullable(),
  /** Mean payload size and the Shannon entropy (bits) of the payload-size distribution. */
  meanPayloadBytes: z.number().nonnegative().nullable(),
  payloadSizeEntropyBits: z.number().nonnegative().nullable(),
  /** Mean gap between outgoing packets and its coefficient of variation (low = machine-regular, beacon-like). */
  meanInterArrivalMs: z.number().nonnegative().nullable(),
  interArrivalCv: z.number().nonnegative().nullable(),
  /** Why each null metric is null on this device (omitted when none is). */
  unavailable: z.record(z.string(), z.string()).optional(),
});
export type NetworkBehaviour = z.output<typeof networkBehaviourSchema>;
