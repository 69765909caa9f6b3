import type { NetworkBehaviour } from '../../../twin-core/src/messages/behaviour';
import type { CollectOptions } from './context';
import { parseNetDev } from './netdev';
import { counterDelta, join, parseProtocolCounters, readText, round } from './read';
import { parseUptime } from './system';
import type { CaptureMetrics, IntervalCounters } from './capture/trafficState';
import type { Capture } from './capture/startCapture';
import type { TrafficSource } from './traffic';

/** Cumulative counters behind the network-behaviour metrics (all zero at boot). */
export type BehaviourSample = {
  /** Wall clock of the sample, ms. */
  at: number;
  uptimeSeconds: number;
  tcpSegments: number;
  udpDatagrams: number;
  icmpMessages: number;
  opens: number;
  attemptFails: number;
  resets: number;
  retransmits: number;
  /** Gauge: established TCP connections now. */
  established: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
};

/** Why each metric /proc cannot observe is null on a real device. */
export const UNOBSERVABLE: Record<string, string> = {
  dnsQueriesPerSec:
    '/proc/net counts UDP and TCP in aggregate, not DNS queries (port 53) apart; that needs packet capture',
  tlsHandshakesPerSec: '/proc/net counts TCP connections, not the TLS handshakes inside them',
  meanSessionSeconds: '/proc/net lists open connections only; the duration of closed ones is not kept',
  latencyMs: '/proc/net keeps no per-interval round-trip times (retransmissions and resets are counted instead)',
  jitterMs: '/proc/net keeps no per-interval round-trip times, so no variation of them either',
  meanPayloadBytes: '/proc/net counts bytes and packets per interface, not the size of each payload',
  payloadSizeEntropyBits: '/proc/net counts bytes and packets per interface, not the size of each payload',
  meanInterArrivalMs: '/proc/net counts packets, not when each one was sent',
  interArrivalCv: '/proc/net counts packets, not when each one was sent',
};

/**
 * One behaviour sample from the texts of /proc/net/snmp, /proc/net/dev and /proc/uptime. TCP resets are
 * EstabResets (connections reset) + OutRsts (resets sent); interface totals leave out `lo`, whose traffic never
 * leaves the device.
 */
export function behaviourSample(at: number, snmpText: string, netDevText: string, uptimeText: string): BehaviourSample {
  const snmp = parseProtocolCounters(snmpText);
  const tcp = snmp.Tcp ?? {};
  const udp = snmp.Udp ?? {};
  const icmp = snmp.Icmp ?? {};
  if (!snmp.Tcp || !snmp.Udp) throw new Error('no Tcp or Udp lines in /proc/net/snmp');
  const n = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? 0 : value);
  const interfaces = parseNetDev(netDevText).filter((row) => row.name !== 'lo');
  const sum = (pick: (row: (typeof interfaces)[number]) => number) =>
    interfaces.reduce((total, row) => total + pick(row), 0);
  return {
    at,
    uptimeSeconds: parseUptime(uptimeText),
    tcpSegments: n(tcp.InSegs) + n(tcp.OutSegs),
    udpDatagrams: n(udp.InDatagrams) + n(udp.OutDatagrams),
    icmpMessages: n(icmp.InMsgs) + n(icmp.OutMsgs),
    opens: n(tcp.ActiveOpens) + n(tcp.PassiveOpens),
    attemptFails: n(tcp.AttemptFails),
    resets: n(tcp.EstabResets) + n(tcp.OutRsts),
    retransmits: n(tcp.RetransSegs),
    established: Math.max(0, n(tcp.CurrEstab)),
    packetsIn: sum((row) => row.rxPackets),
    packetsOut: sum((row) => row.txPackets),
    bytesIn: sum((row) => row.rxBytes),
    bytesOut: sum((row) => row.txBytes),
  };
}

/** The sample every counter starts from: the boot, `uptimeSeconds` before `current`. */
export function bootSample(current: BehaviourSample): BehaviourSample {
  return {
    at: current.at - current.uptimeSeconds * 1000,
    uptimeSeconds: 0,
    tcpSegments: 0,
    udpDatagrams: 0,
    icmpMessages: 0,
    opens: 0,
    attemptFails: 0,
    resets: 0,
    retransmits: 0,
    established: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/**
 * The network-behaviour metrics between two samples (seed 000): packet and byte rates, protocol mix, new, failed
 * and reset connections, retransmissions per second, established connections. Without a previous sample the
 * interval runs from boot (rates since boot). What /proc cannot observe is null, with the reason in `unavailable`.
 * A counter that went backwards (reset) counts as zero growth.
 *
 * @example
 * networkBehaviour(previous, current).packetsInPerSec
 */
export function networkBehaviour(previous: BehaviourSample | null, current: BehaviourSample): NetworkBehaviour {
  const before = previous ?? bootSample(current);
  const seconds = Math.max(1, current.at - before.at) / 1000;
  const delta = (key: Exclude<keyof BehaviourSample, 'at' | 'uptimeSeconds' | 'established'>) =>
    counterDelta(before[key], current[key]) ?? 0;
  const rate = (key: Parameters<typeof delta>[0]) => round(delta(key) / seconds, 3);
  const tcp = delta('tcpSegments');
  const udp = delta('udpDatagrams');
  const icmp = delta('icmpMessages');
  const total = tcp + udp + icmp;
  return {
    intervalSeconds: round(seconds, 3) || 0.001,
    packetsInPerSec: rate('packetsIn'),
    packetsOutPerSec: rate('packetsOut'),
    bytesInPerSec: rate('bytesIn'),
    bytesOutPerSec: rate('bytesOut'),
    protocolMix:
      total === 0
        ? { tcp: 0, udp: 0, icmp: 0 }
        : { tcp: round(tcp / total, 4), udp: round(udp / total, 4), icmp: round(icmp / total, 4) },
    newConnectionsPerSec: rate('opens'),
    failedConnectionsPerSec: rate('attemptFails'),
    resetsPerSec: rate('resets'),
    retransmitsPerSec: rate('retransmits'),
    establishedConnections: current.established,
    dnsQueriesPerSec: null,
    tlsHandshakesPerSec: null,
    meanSessionSeconds: null,
    latencyMs: null,
    jitterMs: null,
    meanPayloadBytes: null,
    payloadSizeEntropyBits: null,
    meanInterArrivalMs: null,
    interArrivalCv: null,
    unavailable: { ...UNOBSERVABLE },
  };
}

/** The metrics only packet capture observes (the names of {@link UNOBSERVABLE}). */
export const CAPTURED_METRICS = [
  'dnsQueriesPerSec',
  'tlsHandshakesPerSec',
  'meanSessionSeconds',
  'latencyMs',
  'jitterMs',
  'meanPayloadBytes',
  'payloadSizeEntropyBits',
  'meanInterArrivalMs',
  'interArrivalCv',
] as const;

/** Why a captured metric is null while the capture runs: nothing of its kind was seen yet. */
export const NOT_SEEN_YET: Record<(typeof CAPTURED_METRICS)[number], string> = {
  dnsQueriesPerSec: 'no packet captured yet',
  tlsHandshakesPerSec: 'no packet captured yet',
  meanSessionSeconds: 'no TCP session closed (FIN or RST) in the interval',
  latencyMs: 'no TCP handshake seen yet (latency is the SYN to SYN-ACK, or SYN-ACK to ACK, round trip)',
  jitterMs: 'fewer than two TCP handshakes seen yet',
  meanPayloadBytes: 'no outgoing packet with a payload seen yet',
  payloadSizeEntropyBits: 'no destination has sent eight outgoing payloads yet',
  meanInterArrivalMs: 'no destination has received nine outgoing bursts yet',
  interArrivalCv: 'no destination has received nine outgoing bursts yet',
};

/**
 * The /proc report completed with the capture's metrics of the same interval: each of the nine metrics /proc cannot
 * observe is the capture's value, or null with the reason in `unavailable` (nothing of its kind seen yet). Without
 * a capture, `reason` says why and is prefixed to each /proc reason.
 *
 * @example
 * withCapture(networkBehaviour(previous, current), metrics).latencyMs // 0.42
 */
export function withCapture(report: NetworkBehaviour, capture: CaptureMetrics | { reason: string }): NetworkBehaviour {
  const unavailable: Record<string, string> = {};
  if ('reason' in capture) {
    for (const name of CAPTURED_METRICS) unavailable[name] = `${capture.reason}; ${UNOBSERVABLE[name]}`.slice(0, 500);
    return { ...report, unavailable };
  }
  const merged: NetworkBehaviour = { ...report };
  for (const name of CAPTURED_METRICS) {
    const value = capture[name];
    merged[name] = value;
    if (value === null) unavailable[name] = NOT_SEEN_YET[name];
  }
  if (Object.keys(unavailable).length > 0) merged.unavailable = unavailable;
  else delete merged.unavailable;
  return merged;
}

/** Reads one behaviour sample: /proc/net/snmp, /proc/net/dev, /proc/uptime. */
export async function readBehaviourSample(options: CollectOptions): Promise<BehaviourSample> {
  const { proc } = options.paths;
  const [snmp, netdev, uptime] = await Promise.all([
    readText(join(proc, 'net', 'snmp')),
    readText(join(proc, 'net', 'dev')),
    readText(join(proc, 'uptime')),
  ]);
  return behaviourSample(options.now(), snmp, netdev, uptime);
}

/**
 * Network-behaviour probe: keeps its previous sample, so each call reports the interval since the last one (the
 * first since boot). Snapshot and telemetry each create their own, since they run at different intervals. With a
 * traffic source (packet capture), the nine metrics /proc cannot observe come from the capture over the same
 * interval ({@link withCapture}).
 */
export function createBehaviourProbe(
  options: CollectOptions,
  traffic?: TrafficSource,
): () => Promise<NetworkBehaviour> {
  let previous: BehaviourSample | null = null;
  let interval: { capture: Capture; counters: IntervalCounters } | null = null;
  return async () => {
    const [sample, source] = await Promise.all([readBehaviourSample(options), traffic?.get()]);
    const report = networkBehaviour(previous, sample);
    previous = sample;
    if (!source) return report;
    if ('reason' in source) return withCapture(report, source);
    if (interval?.capture !== source.capture) {
      // A (re)started capture: its first interval runs from the start of this /proc interval.
      interval = { capture: source.capture, counters: source.capture.state.openInterval(
          Math.max(source.capture.startedAtMs, sample.at - report.intervalSeconds * 1000),
        ),
       };
    }
    return withCapture(report, source.capture.state.metrics(interval.counters, sample.at));
  };
}
