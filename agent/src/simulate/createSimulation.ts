/**
 * The simulation: N virtual devices driven by a clock the caller owns. `step(nowMs)` returns every telemetry and
 * snapshot body due since the previous step; it never reads the wall clock or `Math.random()`, so the same seed and
 * the same step times give byte-identical bodies. Per-device state is a handful of numbers in typed arrays.
 */
import type { GroundTruth } from '../../../twin-core/src/messages/behaviour';
import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import {
  DEFAULT_EPISODE_CONFIG,
  EpisodeSchedule,
  isScenario,
  type Episode,
  type EpisodeConfig,
  type Scenario,
} from './behaviours';
import type { Owner } from './context';
import { createVirtualDevice, MAX_DEVICE_INDEX, type VirtualDevice } from './device';
import { sampleNetwork } from './network';
import { createRng, PURPOSE, seedKey, type Seed } from './rng';
import { buildSnapshot } from './snapshot';
import { buildTelemetry, sampleHostLoad } from './telemetry';

/** Options of {@link createSimulation}. */
export type SimulationOptions = {
  /** Number of virtual devices (indices 0 … devices − 1). */
  devices: number;
  /** Telemetry messages per second per device. */
  ratePerSecond: number;
  /** Seconds between two snapshots of a device. */
  snapshotIntervalSeconds: number;
  scenario: Scenario;
  seed: Seed;
  /** Simulated time of the start, ms since the epoch. */
  startTimeMs: number;
  /** Episode layout (defaults: {@link DEFAULT_EPISODE_CONFIG}). */
  episodes?: Partial<EpisodeConfig>;
  /** Owner block of the snapshots, the same for every device or per device. */
  owner?: Owner | ((deviceIndex: number) => Owner);
};

/** A message the simulation produced, before it is put in a signed envelope. */
export type SimulatedMessage =
  | { deviceIndex: number; kind: 'telemetry'; atMs: number; body: TelemetryBody; label: GroundTruth }
  | { deviceIndex: number; kind: 'snapshot'; atMs: number; body: SnapshotBody; label: GroundTruth };

/** A running simulation. */
export type Simulation = {
  readonly options: Readonly<SimulationOptions> & { readonly episodes: EpisodeConfig };
  readonly devices: readonly VirtualDevice[];
  /** Every message due in (previous step, nowMs] (the first step starts at `startTimeMs`), in time order. */
  step(nowMs: number): SimulatedMessage[];
  /** The episode running on a device at an instant (undefined: normal). */
  episodeAt(deviceIndex: number, atMs: number): Episode | undefined;
  /**
   * Obeys a new interval from `nowMs` on (a command): the next message of that kind is due one new period after
   * `nowMs`.
   */
  setIntervals(deviceIndex: number, intervals: { telemetrySeconds?: number; snapshotSeconds?: number }, nowMs: number): void;
  /** The device's intervals now. */
  intervalsOf(deviceIndex: number): { telemetrySeconds: number; snapshotSeconds: number };
  /** Makes a snapshot due at `nowMs` (a `collect-snapshot` command); the next ones follow one period apart. */
  requestSnapshot(deviceIndex: number, nowMs: number): void;
  /** The device's fan: at `percent` it cools the processor (0.12 °C per percent at full speed; 0 = off). */
  setCooling(deviceIndex: number, percent: number): void;
};

/** Time constant of the slow activity noise (AR(1) in log space), seconds. */
const ACTIVITY_TAU_SECONDS = 60;
const GOLDEN = 0.6180339887498949;
/** Cumulative counters per device, in this order. */
const COUNTERS = 6;

function positive(name: string, value: number) {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name} must be a positive finite number, got ${value}`);
}

/**
 * Creates a simulation.
 *
 * @example
 * const simulation = createSimulation({ devices: 100, ratePerSecond: 1, snapshotIntervalSeconds: 30, scenario: 'mixed', seed: 42, startTimeMs: Date.UTC(2026, 0, 1) })
 * for (let t = 1; t <= 60; t++) {
 *   for (const message of simulation.step(Date.UTC(2026, 0, 1) + t * 1000)) publish(signSimulated(simulation.devices[message.deviceIndex]!, message, nextSeq()))
 * }
 */
export function createSimulation(options: SimulationOptions): Simulation {
  const { devices: count, ratePerSecond, snapshotIntervalSeconds, scenario, seed, startTimeMs } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEVICE_INDEX + 1) {
    throw new RangeError(`devices must be an integer in [1, ${MAX_DEVICE_INDEX + 1}], got ${count}`);
  }
  positive('ratePerSecond', ratePerSecond);
  positive('snapshotIntervalSeconds', snapshotIntervalSeconds);
  if (!Number.isFinite(startTimeMs)) throw new RangeError(`startTimeMs must be finite, got ${startTimeMs}`);
  if (!isScenario(scenario)) throw new RangeError(`unknown scenario ${JSON.stringify(scenario)}`);
  const episodes: EpisodeConfig = { ...DEFAULT_EPISODE_CONFIG, ...options.episodes };
  const key = seedKey(seed);
  const schedule = new EpisodeSchedule(key, scenario, episodes, count, startTimeMs);
  const owner = options.owner ?? { ownerId: null, location: null };
  const ownerOf = typeof owner === 'function' ? owner : () => owner;

  const devices: VirtualDevice[] = [];
  for (let index = 0; index < count; index++)
    // A device's static document is read once, at manufacture: it depends on the seed only, never on when the
    // simulation starts, so the twin minted from it matches every later run.
    devices.push(createVirtualDevice(seed, index));

  const periodMs = 1000 / ratePerSecond;
  const periodSeconds = 1 / ratePerSecond;
  const snapshotMs = snapshotIntervalSeconds * 1000;
  const telemetryTick = new Float64Array(count);
  const snapshotTick = new Float64Array(count);
  // Each device's schedule: message n of a kind is due at base + (n − baseTick) × period; a command moves the base.
  const telemetryPeriod = new Float64Array(count).fill(periodMs);
  const telemetryBase = new Float64Array(count);
  const telemetryBaseTick = new Float64Array(count);
  const snapshotPeriod = new Float64Array(count).fill(snapshotMs);
  const snapshotBase = new Float64Array(count);
  const snapshotBaseTick = new Float64Array(count);
  const cooling = new Float64Array(count);
  const activityState = new Float64Array(count);
  const counters = new Float64Array(count * COUNTERS);
  for (const device of devices) {
    const { baseline, profile } = device;
    const uptime = profile.initialUptimeSeconds;
    const rxPackets = uptime * baseline.packetRate * baseline.inShare;
    const txPackets = uptime * baseline.packetRate * (1 - baseline.inShare);
    const base = device.index * COUNTERS;
    counters[base] = rxPackets * (baseline.payloadInBytes + 52);
    counters[base + 1] = txPackets * (baseline.payloadOutBytes + 52);
    counters[base + 2] = rxPackets;
    counters[base + 3] = txPackets;
    counters[base + 4] = rxPackets * baseline.icmp;
    counters[base + 5] = txPackets * baseline.icmp;
  }
  /** Devices are staggered by the golden ratio, so their messages spread evenly over each period. */
  const stagger = (index: number) => (index * GOLDEN) % 1;
  for (let index = 0; index < count; index++) {
    telemetryBase[index] = startTimeMs + stagger(index) * periodMs;
    snapshotBase[index] = startTimeMs + stagger(index) * snapshotMs;
  }
  const telemetryDue = (index: number) =>
    Math.round(telemetryBase[index]! + (telemetryTick[index]! - telemetryBaseTick[index]!) * telemetryPeriod[index]!);
  const snapshotDue = (index: number) =>
    Math.round(snapshotBase[index]! + (snapshotTick[index]! - snapshotBaseTick[index]!) * snapshotPeriod[index]!);
  const activity = (device: VirtualDevice) => {
    const sigma = device.baseline.noiseSigma;
    return Math.exp(sigma * activityState[device.index]! - (sigma * sigma) / 2);
  };

  function telemetry(device: VirtualDevice, atMs: number): SimulatedMessage {
    const index = device.index;
    const periodSeconds = telemetryPeriod[index]! / 1000;
    const rho = Math.exp(-periodSeconds / ACTIVITY_TAU_SECONDS);
    const rng = createRng(key, index, PURPOSE.telemetry, telemetryTick[index]!);
    activityState[index] = rho * activityState[index]! + Math.sqrt(1 - rho * rho) * rng.normal();
    const episode = schedule.episodeAt(index, atMs);
    const body = buildTelemetry(device, episode, scenario, atMs, periodSeconds, activity(device), rng, cooling[index]!);
    const { network } = body;
    const base = index * COUNTERS;
    counters[base] += network.bytesInPerSec * periodSeconds;
    counters[base + 1] += network.bytesOutPerSec * periodSeconds;
    counters[base + 2] += network.packetsInPerSec * periodSeconds;
    counters[base + 3] += network.packetsOutPerSec * periodSeconds;
    counters[base + 4] += network.packetsInPerSec * network.protocolMix.icmp * periodSeconds;
    counters[base + 5] += network.packetsOutPerSec * network.protocolMix.icmp * periodSeconds;
    telemetryTick[index] += 1;
    return { deviceIndex: index, kind: 'telemetry', atMs, body, label: body.label! };
  }

  function snapshot(device: VirtualDevice, atMs: number): SimulatedMessage {
    const index = device.index;
    const rng = createRng(key, index, PURPOSE.snapshot, snapshotTick[index]!);
    const episode = schedule.episodeAt(index, atMs);
    const network = sampleNetwork(device.baseline, episode, atMs, telemetryPeriod[index]! / 1000, activity(device), rng);
    const host = sampleHostLoad(device, episode, atMs, rng);
    const base = index * COUNTERS;
    const body = buildSnapshot({
      key,
      device,
      episode,
      scenario,
      atMs,
      bootTimeMs: startTimeMs - device.profile.initialUptimeSeconds * 1000,
      intervalSeconds: snapshotPeriod[index]! / 1000,
      host,
      network,
      counters: {
        rxBytes: counters[base]!,
        txBytes: counters[base + 1]!,
        rxPackets: counters[base + 2]!,
        txPackets: counters[base + 3]!,
        icmpIn: counters[base + 4]!,
        icmpOut: counters[base + 5]!,
      },
      owner: ownerOf(index),
      rng,
    });
    snapshotTick[index] += 1;
    return { deviceIndex: index, kind: 'snapshot', atMs, body, label: body.label! };
  }

  let lastStepMs = -Infinity;
  return {
    options: { ...options, episodes },
    devices,
    episodeAt: (deviceIndex, atMs) => schedule.episodeAt(deviceIndex, atMs),
    setIntervals(index, intervals, nowMs) {
      if (intervals.telemetrySeconds !== undefined) {
        positive('telemetrySeconds', intervals.telemetrySeconds);
        telemetryPeriod[index] = intervals.telemetrySeconds * 1000;
        telemetryBase[index] = nowMs + telemetryPeriod[index]!;
        telemetryBaseTick[index] = telemetryTick[index]!;
      }
      if (intervals.snapshotSeconds !== undefined) {
        positive('snapshotSeconds', intervals.snapshotSeconds);
        snapshotPeriod[index] = intervals.snapshotSeconds * 1000;
        snapshotBase[index] = nowMs + snapshotPeriod[index]!;
        snapshotBaseTick[index] = snapshotTick[index]!;
      }
    },
    intervalsOf: (index) => ({
      telemetrySeconds: telemetryPeriod[index]! / 1000,
      snapshotSeconds: snapshotPeriod[index]! / 1000,
    }),
    requestSnapshot(index, nowMs) {
      snapshotBase[index] = Math.max(nowMs, lastStepMs);
      snapshotBaseTick[index] = snapshotTick[index]!;
    },
    setCooling(index, percent) {
      cooling[index] = Math.min(100, Math.max(0, percent));
    },
    step(nowMs: number): SimulatedMessage[] {
      if (!Number.isFinite(nowMs)) throw new RangeError(`step time must be finite, got ${nowMs}`);
      if (nowMs < lastStepMs) throw new RangeError(`step time went back from ${lastStepMs} to ${nowMs}`);
      lastStepMs = nowMs;
      const messages: SimulatedMessage[] = [];
      for (const device of devices) {
        for (;;) {
          const telemetryAt = telemetryDue(device.index);
          const snapshotAt = snapshotDue(device.index);
          if (telemetryAt <= snapshotAt && telemetryAt <= nowMs) messages.push(telemetry(device, telemetryAt));
          else if (snapshotAt < telemetryAt && snapshotAt <= nowMs) messages.push(snapshot(device, snapshotAt));
          else break;
        }
      }
      // Stable: a device's telemetry and snapshot due at the same instant keep their order (telemetry first).
      return messages.sort((a, b) => a.atMs - b.atMs || a.deviceIndex - b.deviceIndex);
    },
  };
}
