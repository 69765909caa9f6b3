/**
 * Network-behaviour model (seed 000): a per-device baseline drawn once, and one interval's metrics sampled from it,
 * changed by the abnormal behaviour running at that instant. The signatures, relative to the device's baseline:
 *
 * - `traffic-spike`: packet and byte rates × 5–20 (fixed per episode), new connections × 2.
 * - `protocol-mix`: ICMP takes 50–70 % of packets, or UDP 70–90 %; the TCP share falls to under half its usual.
 * - `failed-connections`: 2–15 failed connection attempts/s (baseline ≤ 0.01/s), as many resets, SYN retransmits,
 *   sessions shorter than half a second.
 * - `high-entropy-payload`: payload-size entropy 5.4–5.92 bits, near the agent's per-destination maximum log2(64)
 *   (baseline 1.2–4.2), and an odd mean payload size of 601–1187 bytes.
 * - `timing-anomaly`: inter-arrival coefficient of variation 3–8 (baseline 0.8–1.6), jitter × 5–15, packet rate
 *   alternating between bursts (× 3–6) and near-silence (× 0.05–0.3).
 * - `connection-flood`: 40–300 new connections/s (baseline 0.02–0.4/s on average) and 300–2,000 established connections
 *   (baseline 2–14), many small packets, resets × 5.
 * - `beaconing`: outgoing traffic is the beacon alone: a fixed period of 0.5–5 s (mean inter-arrival = the period,
 *   CV ≤ 0.03), a constant payload of 64–160 bytes (payload-size entropy ≤ 0.25 bits).
 */
import type { NetworkBehaviour } from '../../../twin-core/src/messages/behaviour';
import { MAX_PAYLOAD_ENTROPY_BITS, type Episode } from './behaviours';
import type { Rng } from './rng';

/** The healthy profile of one device (seed 000 "Normal Network Behavior"), drawn once when it is created. */
export type NetworkBaseline = {
  /** Mean packet rate, in + out, packets/s; `peakFactor` is its short-burst peak, `burstChance` their frequency. */
  packetRate: number;
  peakFactor: number;
  burstChance: number;
  /** Daily pattern: rate × (1 + amplitude · sin(2π · day fraction + phase)). */
  dailyAmplitude: number;
  dailyPhase: number;
  /** Share of packets that are incoming. */
  inShare: number;
  tcp: number;
  udp: number;
  icmp: number;
  payloadInBytes: number;
  payloadOutBytes: number;
  payloadEntropyBits: number;
  sessionSeconds: number;
  newConnectionsPerSec: number;
  established: number;
  latencyMs: number;
  jitterMs: number;
  /** Retransmitted share of outgoing TCP segments. */
  retransmitRatio: number;
  failedPerSec: number;
  resetsPerSec: number;
  dnsPerSec: number;
  /** Share of new connections that are TLS. */
  tlsShare: number;
  interArrivalCv: number;
  /** Standard deviation of the slow (AR(1), 60 s) log-activity noise. */
  noiseSigma: number;
};

/**
 * Draws a device's baseline; `packetRate` comes from its role's range.
 *
 * @example
 * const baseline = drawBaseline(createRng(key, index, PURPOSE.baseline), [6, 40])
 */
export function drawBaseline(rng: Rng, packetRate: readonly [number, number]): NetworkBaseline {
  const tcp = rng.uniform(0.6, 0.85);
  const icmp = rng.uniform(0.002, 0.02);
  const latencyMs = rng.logUniform(8, 80);
  return {
    packetRate: rng.logUniform(packetRate[0], packetRate[1]),
    peakFactor: rng.uniform(1.5, 3),
    burstChance: rng.uniform(0.01, 0.04),
    dailyAmplitude: rng.uniform(0.15, 0.45),
    dailyPhase: rng.uniform(0, 2 * Math.PI),
    inShare: rng.uniform(0.45, 0.6),
    tcp,
    udp: 1 - tcp - icmp,
    icmp,
    payloadInBytes: rng.uniform(180, 900),
    payloadOutBytes: rng.uniform(90, 500),
    payloadEntropyBits: rng.uniform(1.2, 4.2),
    sessionSeconds: rng.logUniform(20, 600),
    newConnectionsPerSec: rng.logUniform(0.02, 0.4),
    established: rng.int(2, 12),
    latencyMs,
    jitterMs: latencyMs * rng.uniform(0.08, 0.3),
    retransmitRatio: rng.uniform(0.002, 0.02),
    failedPerSec: rng.uniform(0.0005, 0.01),
    resetsPerSec: rng.uniform(0.005, 0.04),
    dnsPerSec: rng.logUniform(0.02, 0.3),
    tlsShare: rng.uniform(0.5, 0.95),
    interArrivalCv: rng.uniform(0.85, 1.5),
    noiseSigma: rng.uniform(0.12, 0.3),
  };
}

/**
 * The daily-pattern factor at an instant (1 ± the baseline's amplitude).
 *
 * @example
 * dailyFactor(device.baseline, Date.UTC(2026, 0, 1, 14)) // e.g. 1.27 in the device's busy hours
 */
export function dailyFactor(baseline: NetworkBaseline, atMs: number): number {
  return 1 + baseline.dailyAmplitude * Math.sin((2 * Math.PI * atMs) / 86_400_000 + baseline.dailyPhase);
}

/** IPv4 + TCP headers with timestamps: what a packet adds to its payload on the wire. */
const HEADER_BYTES = 52;

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
/** Events of a Poisson process of `perSec` over the interval, as a per-second rate. */
const count = (rng: Rng, perSec: number, seconds: number) => rng.poisson(perSec * seconds) / seconds;

/**
 * One interval's network-behaviour metrics. `activity` is the device's slow noise factor (≈ 1).
 *
 * @example
 * const metrics = sampleNetwork(device.baseline, schedule.episodeAt(i, t), t, 1, 1, rng)
 * metrics.interArrivalCv // ≈ 1 normally, ≤ 0.03 while beaconing
 */
export function sampleNetwork(
  b: NetworkBaseline,
  episode: Episode | undefined,
  atMs: number,
  seconds: number,
  activity: number,
  rng: Rng,
): NetworkBehaviour {
  const level = dailyFactor(b, atMs) * activity;
  const burst = rng.chance(b.burstChance) ? b.peakFactor : 1;
  let rate = b.packetRate * level * burst;
  let tcp = clamp(b.tcp + rng.normal(0, 0.015), 0.05, 0.98);
  let icmp = clamp(b.icmp * Math.exp(rng.normal(0, 0.3)), 0, 0.5);
  let udp = Math.max(0, 1 - tcp - icmp);
  let payloadIn = b.payloadInBytes * Math.exp(rng.normal(0, 0.06));
  let payloadOut = b.payloadOutBytes * Math.exp(rng.normal(0, 0.06));
  let entropy = clamp(b.payloadEntropyBits + rng.normal(0, 0.12), 0, MAX_PAYLOAD_ENTROPY_BITS);
  let newConnections = b.newConnectionsPerSec * level;
  let failed = b.failedPerSec;
  let resets = b.resetsPerSec;
  let extraRetransmits = 0;
  let established = b.established + rng.normal(0, 0.8);
  let session = b.sessionSeconds * Math.exp(rng.normal(0, 0.25));
  let latency = b.latencyMs * Math.exp(rng.normal(0, 0.08));
  let jitter = b.jitterMs * Math.exp(rng.normal(0, 0.2));
  let cv = b.interArrivalCv * Math.exp(rng.normal(0, 0.08));
  let beacon: { periodMs: number; payload: number } | undefined;
  const tls = b.newConnectionsPerSec * level * b.tlsShare;
  const p = episode?.params;

  switch (episode?.behaviour) {
    case 'traffic-spike':
      rate = b.packetRate * level * p!.spikeFactor;
      newConnections *= 2;
      break;
    case 'protocol-mix':
      if (p!.protocol === 'icmp') {
        icmp = clamp(p!.protocolShare + rng.normal(0, 0.02), 0, 1);
        udp = (b.udp * (1 - icmp)) / (1 - b.icmp);
      } else {
        udp = clamp(p!.protocolShare + 0.2 + rng.normal(0, 0.02), 0, 1 - icmp);
      }
      tcp = Math.max(0, 1 - icmp - udp);
      rate *= 2;
      break;
    case 'failed-connections':
      failed = p!.failedPerSec;
      resets += failed * rng.uniform(0.8, 1.2);
      newConnections += failed;
      extraRetransmits = failed * 1.5;
      session = rng.uniform(0.05, 0.5);
      latency *= 1.5;
      break;
    case 'high-entropy-payload':
      entropy = clamp(p!.entropyBits + rng.normal(0, 0.04), 0, MAX_PAYLOAD_ENTROPY_BITS);
      payloadOut = p!.oddPayloadBytes * Math.exp(rng.normal(0, 0.02));
      payloadIn = p!.oddPayloadBytes * Math.exp(rng.normal(0, 0.02));
      rate *= 1.3;
      break;
    case 'timing-anomaly':
      rate *= rng.chance(0.3) ? rng.uniform(3, 6) : rng.uniform(0.05, 0.3);
      cv = p!.timingCv * Math.exp(rng.normal(0, 0.15));
      jitter *= p!.jitterFactor;
      latency *= rng.uniform(1, 2);
      break;
    case 'connection-flood':
      newConnections = p!.floodNewPerSec * Math.exp(rng.normal(0, 0.1));
      established = p!.floodEstablished * Math.exp(rng.normal(0, 0.05));
      rate = rate * 3 + newConnections * 3;
      payloadIn *= 0.25;
      resets = resets * 5 + newConnections * 0.05;
      session = rng.uniform(0.5, 3);
      break;
    case 'beaconing':
      beacon = { periodMs: p!.beaconPeriodMs, payload: p!.beaconPayloadBytes };
      payloadIn = payloadOut = beacon.payload;
      entropy = rng.uniform(0, 0.25);
      break;
    case undefined:
      break;
  }

  let packetsIn: number;
  let packetsOut: number;
  let meanInterArrivalMs: number;
  if (beacon === undefined) {
    packetsIn = count(rng, rate * b.inShare, seconds);
    packetsOut = count(rng, rate * (1 - b.inShare), seconds);
    meanInterArrivalMs = packetsOut > 0 ? 1000 / packetsOut : seconds * 1000;
  } else {
    packetsOut = packetsIn = 1000 / beacon.periodMs;
    meanInterArrivalMs = beacon.periodMs * (1 + rng.normal(0, 0.002));
    cv = rng.uniform(0.005, 0.03);
  }
  const total = packetsIn + packetsOut;
  const meanPayload = total > 0 ? (packetsIn * payloadIn + packetsOut * payloadOut) / total : 0;
  const tcpShare = round(tcp, 4);
  const icmpShare = round(icmp, 4);
  return {
    intervalSeconds: seconds,
    packetsInPerSec: round(packetsIn, 3),
    packetsOutPerSec: round(packetsOut, 3),
    bytesInPerSec: round(packetsIn * (payloadIn + HEADER_BYTES), 1),
    bytesOutPerSec: round(packetsOut * (payloadOut + HEADER_BYTES), 1),
    protocolMix: { tcp: tcpShare, udp: round(Math.max(0, 1 - tcpShare - icmpShare), 4), icmp: icmpShare },
    newConnectionsPerSec: round(count(rng, newConnections, seconds), 3),
    failedConnectionsPerSec: round(count(rng, failed, seconds), 3),
    resetsPerSec: round(count(rng, resets, seconds), 3),
    retransmitsPerSec: round(count(rng, packetsOut * tcp * b.retransmitRatio + extraRetransmits, seconds), 3),
    establishedConnections: Math.max(0, Math.round(established)),
    dnsQueriesPerSec: round(count(rng, b.dnsPerSec * level, seconds), 3),
    tlsHandshakesPerSec: round(count(rng, tls, seconds), 3),
    meanSessionSeconds: round(session, 3),
    latencyMs: round(latency, 2),
    jitterMs: round(jitter, 2),
    meanPayloadBytes: round(meanPayload, 1),
    payloadSizeEntropyBits: round(entropy, 3),
    meanInterArrivalMs: round(meanInterArrivalMs, 2),
    interArrivalCv: round(cv, 3),
    unavailable: {},
  };
}
