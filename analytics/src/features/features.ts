/**
 * The per-interval features the baselines learn and the detectors read: every network-behaviour metric of seed 000
 * (twin-core `networkBehaviourSchema`) and the host load of the telemetry body. Each feature is learned in a
 * transformed space where its noise is roughly additive and symmetric:
 *
 * - `log`: ln(x + offset), for rates, counts, durations and sizes (multiplicative noise; `offset` is the smallest
 *   value the metric resolves, e.g. one packet per second, so a silent interval is not minus infinity);
 * - `sqrt`: √x, for protocol shares (variance-stabilising for proportions: the Hellinger geometry);
 * - `linear`: x, for entropy (bits), memory (%) and process count.
 *
 * `scaleFloor` is the smallest spread (in transformed units) a baseline may claim: a metric that never moves must not
 * make a tiny change look like many standard deviations (0.05 in log units ≈ 5 %).
 */
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';

/** How a feature's raw value is mapped before it is learned. */
export type FeatureTransform = 'log' | 'sqrt' | 'linear';

/** One learned feature. */
export type FeatureSpec = {
  /** Column name (dataset) and evidence key. */
  name: string;
  /** Unit of the raw value. */
  unit: string;
  description: string;
  transform: FeatureTransform;
  /** `log` only: the offset added before the logarithm, in the raw unit. */
  offset: number;
  /** Smallest baseline spread, in transformed units. */
  scaleFloor: number;
  /** The raw value from a telemetry body; null when the device does not report it. */
  read: (body: TelemetryBody) => number | null;
};

const log = (offset: number, scaleFloor: number) => ({ transform: 'log' as const, offset, scaleFloor });

/** Every feature, in a fixed order: index `i` of a device's state arrays is `FEATURES[i]`. */
export const FEATURES = [
  {
    name: 'packetsInPerSec',
    unit: 'packets/s',
    description: 'incoming packets per second',
    ...log(1, 0.05),
    read: (b) => b.network.packetsInPerSec,
  },
  {
    name: 'packetsOutPerSec',
    unit: 'packets/s',
    description: 'outgoing packets per second',
    ...log(1, 0.05),
    read: (b) => b.network.packetsOutPerSec,
  },
  {
    name: 'bytesInPerSec',
    unit: 'bytes/s',
    description: 'incoming bytes per second (headers included)',
    ...log(100, 0.05),
    read: (b) => b.network.bytesInPerSec,
  },
  {
    name: 'bytesOutPerSec',
    unit: 'bytes/s',
    description: 'outgoing bytes per second (headers included)',
    ...log(100, 0.05),
    read: (b) => b.network.bytesOutPerSec,
  },
  {
    name: 'tcpShare',
    unit: 'ratio',
    description: 'share of TCP segments among packets',
    transform: 'sqrt',
    offset: 0,
    scaleFloor: 0.02,
    read: (b) => b.network.protocolMix.tcp,
  },
  {
    name: 'udpShare',
    unit: 'ratio',
    description: 'share of UDP datagrams among packets',
    transform: 'sqrt',
    offset: 0,
    scaleFloor: 0.02,
    read: (b) => b.network.protocolMix.udp,
  },
  {
    name: 'icmpShare',
    unit: 'ratio',
    description: 'share of ICMP messages among packets',
    transform: 'sqrt',
    offset: 0,
    scaleFloor: 0.02,
    read: (b) => b.network.protocolMix.icmp,
  },
  {
    name: 'newConnectionsPerSec',
    unit: 'connections/s',
    description: 'new TCP connections (active and passive) per second',
    ...log(0.5, 0.1),
    read: (b) => b.network.newConnectionsPerSec,
  },
  {
    name: 'failedConnectionsPerSec',
    unit: 'attempts/s',
    description: 'failed TCP connection attempts per second',
    ...log(0.5, 0.1),
    read: (b) => b.network.failedConnectionsPerSec,
  },
  {
    name: 'resetsPerSec',
    unit: 'resets/s',
    description: 'TCP resets sent or seen per second',
    ...log(0.5, 0.1),
    read: (b) => b.network.resetsPerSec,
  },
  {
    name: 'retransmitsPerSec',
    unit: 'segments/s',
    description: 'TCP segments retransmitted per second',
    ...log(0.5, 0.1),
    read: (b) => b.network.retransmitsPerSec,
  },
  {
    name: 'establishedConnections',
    unit: 'connections',
    description: 'established TCP connections at the end of the interval',
    ...log(1, 0.1),
    read: (b) => b.network.establishedConnections,
  },
  {
    name: 'dnsQueriesPerSec',
    unit: 'queries/s',
    description: 'DNS queries per second',
    ...log(0.5, 0.1),
    read: (b) => b.network.dnsQueriesPerSec,
  },
  {
    name: 'tlsHandshakesPerSec',
    unit: 'handshakes/s',
    description: 'TLS handshakes per second',
    ...log(0.5, 0.1),
    read: (b) => b.network.tlsHandshakesPerSec,
  },
  {
    name: 'meanSessionSeconds',
    unit: 's',
    description: 'mean duration of the sessions that closed in the interval',
    ...log(0.1, 0.05),
    read: (b) => b.network.meanSessionSeconds,
  },
  {
    name: 'latencyMs',
    unit: 'ms',
    description: 'round-trip latency',
    ...log(1, 0.05),
    read: (b) => b.network.latencyMs,
  },
  {
    name: 'jitterMs',
    unit: 'ms',
    description: 'latency variation (jitter)',
    ...log(1, 0.05),
    read: (b) => b.network.jitterMs,
  },
  {
    name: 'meanPayloadBytes',
    unit: 'bytes',
    description: 'mean payload size',
    ...log(10, 0.05),
    read: (b) => b.network.meanPayloadBytes,
  },
  {
    name: 'payloadSizeEntropyBits',
    unit: 'bits',
    description: 'payload-size entropy per destination (mean over payloads)',
    transform: 'linear',
    offset: 0,
    scaleFloor: 0.1,
    read: (b) => b.network.payloadSizeEntropyBits,
  },
  {
    name: 'meanInterArrivalMs',
    unit: 'ms',
    description: 'mean gap between outgoing packets',
    ...log(1, 0.05),
    read: (b) => b.network.meanInterArrivalMs,
  },
  {
    name: 'interArrivalCv',
    unit: 'ratio',
    description: 'coefficient of variation of the gaps between outgoing packets',
    ...log(0.01, 0.05),
    read: (b) => b.network.interArrivalCv,
  },
  {
    name: 'cpuPercent',
    unit: '%',
    description: 'CPU use',
    ...log(1, 0.05),
    read: (b) => b.cpuPercent,
  },
  {
    name: 'memoryUsedPercent',
    unit: '%',
    description: 'memory in use',
    transform: 'linear',
    offset: 0,
    scaleFloor: 0.5,
    read: (b) => b.memoryUsedPercent,
  },
  {
    name: 'processCount',
    unit: 'processes',
    description: 'number of processes',
    transform: 'linear',
    offset: 0,
    scaleFloor: 1,
    read: (b) => b.processCount,
  },
] as const satisfies readonly FeatureSpec[];

/** A feature's name. */
export type FeatureName = (typeof FEATURES)[number]['name'];

/** Number of features: the length of every per-feature block of a device's state. */
export const FEATURE_COUNT = FEATURES.length;

/** Index of each feature by name. */
export const FEATURE_INDEX = Object.fromEntries(FEATURES.map((feature, index) => [feature.name, index])) as Record<
  FeatureName,
  number
>;
