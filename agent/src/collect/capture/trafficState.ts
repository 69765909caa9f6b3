import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from './decodePacket';
import { parseDnsMessage, type DnsQuestion, type DnsRecord } from './dnsMessage';
import { parseTlsHello, type TlsHello } from './tlsHello';

/** Bounds of the traffic state: what a busy or hostile network can make the agent hold. */
export type TrafficLimits = {
  /** TCP connections, destinations and flows tracked (each; the least recently seen dropped). */
  maxFlows: number;
  /** ICMP, DNS and TLS records kept between two snapshots (each kind; the rest counted as dropped). */
  maxRecords: number;
  /** Outgoing packets to one destination closer than this belong to one burst (one message), ms. */
  burstGapMs: number;
};

export type IcmpRecord = {
  at: string;
  direction: 'in' | 'out';
  type: number;
  code: number;
  source: string;
  destination: string;
};
export type DnsPacketRecord = {
  at: string;
  direction: 'in' | 'out';
  client: string;
  server: string;
  id: number;
  response: boolean;
  rcode: string;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  truncated: boolean;
};
export type TlsHandshakeRecord = Omit<TlsHello, 'handshakeType'> & {
  at: string;
  handshakeType: number;
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
};
export type FlowRecord = {
  protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  localAddress: string;
  localPort: number;
  peerAddress: string;
  peerPort: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  firstSeen: string;
  lastSeen: string;
};

/** Counters of one consumer's interval (telemetry and snapshot each keep their own). */
export type IntervalCounters = {
  fromMs: number;
  packets: number;
  dnsQueries: number;
  tlsHandshakes: number;
  sessionsClosed: number;
  sessionSecondsSum: number;
};

/** The capture metrics of one interval, merged into the network-behaviour report. */
export type CaptureMetrics = {
  packets: number;
  dnsQueriesPerSec: number;
  tlsHandshakesPerSec: number;
  meanSessionSeconds: number | null;
  latencyMs: number | null;
  jitterMs: number | null;
  meanPayloadBytes: number | null;
  payloadSizeEntropyBits: number | null;
  meanInterArrivalMs: number | null;
  interArrivalCv: number | null;
};

type Connection = { startMs: number; synOutMs: number; synAckOutMs: number; established: boolean };
type Destination = { lastPacketMs: number; lastBurstMs: number; gaps: Float64Array; count: number; next: number };
/** A destination's last outgoing payload sizes (a ring), and when it last sent one. */
type DestinationPayloads = { sizes: Uint16Array; count: number; next: number; lastMs: number };
type Flow = Omit<FlowRecord, 'firstSeen' | 'lastSeen'> & { firstMs: number; lastMs: number };

const GAPS_PER_DESTINATION = 16;
const TIMING_WINDOW = 64;
/** Gaps a destination needs before its CV counts (fewer are too noisy an estimate). */
const MIN_GAPS = 8;
/** Smallest CV a destination contributes (its logarithm is averaged). */
const CV_FLOOR = 0.005;
const PAYLOAD_WINDOW = 128;
/** Payload sizes kept per destination (its entropy is at most log2 of this: 6 bits). */
const PAYLOADS_PER_DESTINATION = 64;
/** Payloads a destination needs before its entropy counts. */
const MIN_PAYLOADS = 8;
/** A destination silent this long starts afresh when it sends again (ms). */
const PAYLOAD_IDLE_MS = 30_000;
const RTT_WINDOW = 16;
const HALF_OPEN_MS = 120_000;

/** A fixed-size ring of numbers. */
class Ring {
  readonly values: Float64Array;
  count = 0;
  private next = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    this.count = Math.min(this.count + 1, this.values.length);
  }
  mean(): number | null {
    if (this.count === 0) return null;
    let sum = 0;
    for (let index = 0; index < this.count; index++) sum += this.values[index]!;
    return sum / this.count;
  }
}

/** Map with a bound: setting a new key beyond `max` drops the least recently touched one. */
function touch<value>(map: Map<string, value>, key: string, value: value, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

const scratch = new Uint16Array(PAYLOADS_PER_DESTINATION);

/**
 * Shannon entropy (bits) of the distribution of the first `count` values (integers 0–65,535, at most 64 of them),
 * counted on a sorted copy: no table per call.
 *
 * @example
 * entropyBits([100, 100, 200, 300], 4) // 1.5
 */
export function entropyBits(values: ArrayLike<number>, count: number): number {
  if (count > scratch.length) throw new RangeError(`entropyBits takes at most ${scratch.length} values`);
  for (let index = 0; index < count; index++) scratch[index] = values[index]!;
  const sorted = scratch.subarray(0, count).sort();
  let bits = 0;
  for (let start = 0; start < count; ) {
    let end = start + 1;
    while (end < count && sorted[end] === sorted[start]) end++;
    const p = (end - start) / count;
    bits -= p * Math.log2(p);
    start = end;
  }
  return bits;
}

/**
 * The traffic state built from decoded packet headers: TCP connections (handshake RTT, session durations), outgoing
 * bursts per destination (inter-arrival), the last outgoing payload sizes (entropy), flows, and the ICMP, DNS and TLS
 * records of seed 001 since the last snapshot. Every table is bounded by {@link TrafficLimits}; nothing of a payload
 * is kept beyond the DNS and TLS header fields.
 *
 * - latency and jitter: mean TCP handshake RTT of the last 16 handshakes (SYN out → SYN-ACK in, or SYN-ACK out →
 *   ACK in) and the mean absolute difference of consecutive ones (RFC 3550 style);
 * - payload size: the mean of the last 128 outgoing payloads; the entropy per destination (protocol, peer address
 *   and port): once a destination has 8 payloads, each new one contributes the Shannon entropy (bits, one symbol per
 *   byte count) of its destination's last 64 sizes (a destination silent for 30 s starts afresh); the reported
 *   figure is the mean of the last 128 contributions, so a beacon's destination (0 bits) pulls it down in proportion
 *   to its share of the payloads, where in one pooled distribution it would only weigh one symbol;
 * - inter-arrival: per destination (protocol, peer address and port), the gaps between the starts of outgoing bursts
 *   (packets closer than `burstGapMs` are one burst); once a destination has 8 gaps, each new gap contributes its
 *   destination's mean gap and CV over its last 16 gaps; the reported figures are the mean gap and the geometric
 *   mean CV (CVs floored at 0.005) of the last 64 contributions;
 * - DNS queries (outgoing to port 53) and TLS handshakes (ClientHellos) per second, and the mean duration of the TCP
 *   sessions that closed (FIN or RST), over each consumer's own interval.
 *
 * @example
 * const state = createTrafficState({ maxFlows: 1024, maxRecords: 64, burstGapMs: 50 })
 * state.add(decodePacket(frame))
 * const window = state.openInterval(Date.now()); … state.metrics(window, Date.now())
 */
export function createTrafficState(limits: TrafficLimits) {
  const connections = new Map<string, Connection>();
  const destinations = new Map<string, Destination>();
  const payloadDestinations = new Map<string, DestinationPayloads>();
  const flows = new Map<string, Flow>();
  const intervals = new Set<IntervalCounters>();
  const rtts = new Ring(RTT_WINDOW);
  let previousRtt: number | null = null;
  const jitters = new Ring(RTT_WINDOW);
  const payloads = new Ring(PAYLOAD_WINDOW);
  const entropies = new Ring(PAYLOAD_WINDOW);
  const timingMeans = new Ring(TIMING_WINDOW);
  const timingCvs = new Ring(TIMING_WINDOW);
  const icmp: IcmpRecord[] = [];
  const dns: DnsPacketRecord[] = [];
  const tls: TlsHandshakeRecord[] = [];
  const dropped = { icmp: 0, dns: 0, tls: 0 };
  let packets = 0;
  let lastEviction = 0;

  const keep = <record>(list: record[], kind: keyof typeof dropped, record: () => record) => {
    if (list.length < limits.maxRecords) list.push(record());
    else dropped[kind]++;
  };
  const each = (update: (counters: IntervalCounters) => void) => {
    for (const counters of intervals) update(counters);
  };

  function rttSample(ms: number): void {
    if (!(ms >= 0) || ms > 60_000) return;
    rtts.push(ms);
    if (previousRtt !== null) jitters.push(Math.abs(ms - previousRtt));
    previousRtt = ms;
  }

  function tcp(packet: DecodedPacket, outgoing: boolean, local: string, localPort: number, peer: string, peerPort: number) {
    const key = `${local}|${localPort}|${peer}|${peerPort}`;
    const flags = packet.tcpFlags;
    const connection = connections.get(key);
    if (flags & TCP_SYN && !(flags & TCP_ACK)) {
      touch(connections, key, { startMs: packet.atMs, synOutMs: outgoing ? packet.atMs : -1, synAckOutMs: -1, established: false }, limits.maxFlows);
      return;
    }
    if (!connection) return;
    if (flags & (TCP_FIN | TCP_RST)) {
      connections.delete(key);
      if (connection.established) {
        const seconds = (packet.atMs - connection.startMs) / 1000;
        each((counters) => {
          counters.sessionsClosed++;
          counters.sessionSecondsSum += seconds;
        });
      }
      return;
    }
    if (flags & TCP_SYN && flags & TCP_ACK) {
      if (!outgoing && connection.synOutMs >= 0 && !connection.established) {
        rttSample(packet.atMs - connection.synOutMs);
        connection.established = true;
      } else if (outgoing) connection.synAckOutMs = packet.atMs;
      return;
    }
    if (!outgoing && flags & TCP_ACK && connection.synAckOutMs >= 0 && !connection.established) {
      rttSample(packet.atMs - connection.synAckOutMs);
      connection.established = true;
    }
  }

  function burst(packet: DecodedPacket, peer: string, peerPort: number) {
    const key = `${packet.protocol}|${peer}|${peerPort}`;
    let destination = destinations.get(key);
    if (!destination) {
      destination = { lastPacketMs: packet.atMs, lastBurstMs: packet.atMs, gaps: new Float64Array(GAPS_PER_DESTINATION), count: 0, next: 0 };
      touch(destinations, key, destination, limits.maxFlows);
      return;
    }
    const sinceLast = packet.atMs - destination.lastPacketMs;
    destination.lastPacketMs = packet.atMs;
    if (sinceLast < limits.burstGapMs) return;
    const gap = packet.atMs - destination.lastBurstMs;
    destination.lastBurstMs = packet.atMs;
    destination.gaps[destination.next] = gap;
    destination.next = (destination.next + 1) % GAPS_PER_DESTINATION;
    destination.count = Math.min(destination.count + 1, GAPS_PER_DESTINATION);
    touch(destinations, key, destination, limits.maxFlows);
    if (destination.count < MIN_GAPS) return;
    let sum = 0;
    let squares = 0;
    for (let index = 0; index < destination.count; index++) {
      sum += destination.gaps[index]!;
      squares += destination.gaps[index]! ** 2;
    }
    const mean = sum / destination.count;
    const variance = Math.max(0, squares / destination.count - mean * mean);
    timingMeans.push(mean);
    // Geometric mean of the CVs: a periodic destination (CV ≈ 0.02) pulls it down by as much as a Poisson one
    // (CV ≈ 1) of the same rate pulls it up, so one new beacon or one new irregular sender moves it, not only
    // the noise of the device's busiest irregular destinations.
    timingCvs.push(Math.log(Math.max(CV_FLOOR, mean > 0 ? Math.sqrt(variance) / mean : 0)));
  }

  function payloadSize(packet: DecodedPacket, peer: string, peerPort: number) {
    const key = `${packet.protocol}|${peer}|${peerPort}`;
    let destination = payloadDestinations.get(key);
    if (!destination || packet.atMs - destination.lastMs > PAYLOAD_IDLE_MS) {
      destination = { sizes: destination?.sizes ?? new Uint16Array(PAYLOADS_PER_DESTINATION), count: 0, next: 0, lastMs: packet.atMs };
    }
    destination.sizes[destination.next] = Math.min(packet.payloadBytes, 0xffff);
    destination.next = (destination.next + 1) % PAYLOADS_PER_DESTINATION;
    destination.count = Math.min(destination.count + 1, PAYLOADS_PER_DESTINATION);
    destination.lastMs = packet.atMs;
    touch(payloadDestinations, key, destination, limits.maxFlows);
    if (destination.count >= MIN_PAYLOADS) entropies.push(entropyBits(destination.sizes, destination.count));
  }

  function records(packet: DecodedPacket, outgoing: boolean) {
    const at = () => new Date(packet.atMs).toISOString();
    const direction = outgoing ? 'out' : 'in';
    if (packet.protocol === 'icmp') {
      keep(icmp, 'icmp', () => ({ at: at(), direction, type: packet.icmpType, code: packet.icmpCode, source: packet.source, destination: packet.destination }));
      return;
    }
    const isDns = packet.destinationPort === 53 || packet.sourcePort === 53;
    if (isDns && packet.payload.length >= 12) {
      const message = parseDnsMessage(packet.payload, { tcp: packet.protocol === 'tcp', limit: 16 });
      if (!message) return;
      if (outgoing && !message.response && packet.destinationPort === 53) each((counters) => counters.dnsQueries++);
      const [client, server] = packet.destinationPort === 53 ? [packet.source, packet.destination] : [packet.destination, packet.source];
      keep(dns, 'dns', () => ({ at: at(), direction, client, server, ...message }));
      return;
    }
    if (packet.protocol === 'tcp' && packet.payload.length >= 9 && packet.payload[0] === 22) {
      const hello = parseTlsHello(packet.payload);
      if (!hello) return;
      if (hello.kind === 'client-hello') each((counters) => counters.tlsHandshakes++);
      keep(tls, 'tls', () => ({
        at: at(),
        ...hello,
        sourceAddress: packet.source,
        sourcePort: packet.sourcePort,
        destinationAddress: packet.destination,
        destinationPort: packet.destinationPort,
      }));
    }
  }

  return {
    /** Adds one decoded packet whose direction is known. */
    add(packet: DecodedPacket, outgoing: boolean): void {
      packets++;
      each((counters) => counters.packets++);
      const [local, localPort, peer, peerPort] = outgoing
        ? [packet.source, packet.sourcePort, packet.destination, packet.destinationPort]
        : [packet.destination, packet.destinationPort, packet.source, packet.sourcePort];
      const flowKey = `${packet.protocol}|${local}|${localPort}|${peer}|${peerPort}`;
      const flow = flows.get(flowKey) ?? {
        protocol: packet.protocol,
        localAddress: local,
        localPort,
        peerAddress: peer,
        peerPort,
        packetsIn: 0,
        packetsOut: 0,
        bytesIn: 0,
        bytesOut: 0,
        firstMs: packet.atMs,
        lastMs: packet.atMs,
      };
      if (outgoing) {
        flow.packetsOut++;
        flow.bytesOut += packet.ipBytes;
      } else {
        flow.packetsIn++;
        flow.bytesIn += packet.ipBytes;
      }
      flow.lastMs = packet.atMs;
      touch(flows, flowKey, flow, limits.maxFlows);
      if (packet.protocol === 'tcp') tcp(packet, outgoing, local, localPort, peer, peerPort);
      if (outgoing) {
        if (packet.payloadBytes > 0) {
          payloads.push(packet.payloadBytes);
          payloadSize(packet, peer, peerPort);
        }
        burst(packet, peer, peerPort);
      }
      records(packet, outgoing);
      if (packet.atMs - lastEviction > 10_000) {
        lastEviction = packet.atMs;
        for (const [key, connection] of connections) {
          if (!connection.established && packet.atMs - connection.startMs > HALF_OPEN_MS) connections.delete(key);
        }
      }
    },

    /** Starts a consumer's interval at `nowMs`. */
    openInterval(nowMs: number): IntervalCounters {
      const counters = { fromMs: nowMs, packets: 0, dnsQueries: 0, tlsHandshakes: 0, sessionsClosed: 0, sessionSecondsSum: 0 };
      intervals.add(counters);
      return counters;
    },

    /** The metrics of `counters`' interval up to `nowMs`, then restarts it there. */
    metrics(counters: IntervalCounters, nowMs: number): CaptureMetrics {
      const seconds = Math.max(0.001, (nowMs - counters.fromMs) / 1000);
      const meanPayload = payloads.mean();
      const metrics: CaptureMetrics = {
        packets: counters.packets,
        dnsQueriesPerSec: round(counters.dnsQueries / seconds, 3),
        tlsHandshakesPerSec: round(counters.tlsHandshakes / seconds, 3),
        meanSessionSeconds: counters.sessionsClosed === 0 ? null : round(counters.sessionSecondsSum / counters.sessionsClosed, 4),
        latencyMs: rtts.count === 0 ? null : round(rtts.mean()!, 3),
        jitterMs: jitters.count === 0 ? null : round(jitters.mean()!, 3),
        meanPayloadBytes: meanPayload === null ? null : round(meanPayload, 2),
        payloadSizeEntropyBits: entropies.count === 0 ? null : round(entropies.mean()!, 4),
        meanInterArrivalMs: timingMeans.count === 0 ? null : round(timingMeans.mean()!, 3),
        interArrivalCv: timingCvs.count === 0 ? null : round(Math.exp(timingCvs.mean()!), 4),
      };
      Object.assign(counters, { fromMs: nowMs, packets: 0, dnsQueries: 0, tlsHandshakes: 0, sessionsClosed: 0, sessionSecondsSum: 0 });
      return metrics;
    },

    /** The ICMP, DNS and TLS records since the last call, and how many the bound dropped. */
    drainRecords() {
      const drained = { icmp: icmp.splice(0), dns: dns.splice(0), tls: tls.splice(0), dropped: { ...dropped } };
      dropped.icmp = dropped.dns = dropped.tls = 0;
      return drained;
    },

    /** The flows seen, most recently active first, at most `limit`. */
    flows(limit: number): FlowRecord[] {
      return [...flows.values()]
        .reverse()
        .slice(0, limit)
        .map(({ firstMs, lastMs, ...flow }) => ({
          ...flow,
          firstSeen: new Date(firstMs).toISOString(),
          lastSeen: new Date(lastMs).toISOString(),
        }));
    },

    stats() {
      return { packets, connections: connections.size, destinations: destinations.size, payloadDestinations: payloadDestinations.size, flows: flows.size };
    },
  };
}

/** The traffic state {@link createTrafficState} returns. */
export type TrafficState = ReturnType<typeof createTrafficState>;
