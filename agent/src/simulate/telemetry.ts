/**
 * Telemetry bodies of virtual devices (`twins/{deviceId}/telemetry`): load, processes, sensor readings and the
 * interval's network behaviour, with the ground-truth label.
 */
import type { NetworkBehaviour } from '../../../twin-core/src/messages/behaviour';
import type { SensorReading, TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import { labelOf, type Episode, type Scenario } from './behaviours';
import type { VirtualDevice } from './device';
import { dailyFactor, sampleNetwork } from './network';
import type { Rng } from './rng';

/** The host's load at an instant: what telemetry carries and the snapshot's process table and memory agree with. */
export type HostLoad = {
  cpuPercent: number;
  memoryUsedPercent: number;
  load1: number;
  processCount: number;
  /** The part of `cpuPercent` the running episode costs (0 when normal). */
  episodeCpuPercent: number;
};

/** Extra CPU (percentage points) each behaviour costs the device: the work of the traffic it produces. */
const CPU_COST: Record<Episode['behaviour'], readonly [number, number]> = {
  'traffic-spike': [15, 30],
  'protocol-mix': [3, 8],
  'failed-connections': [3, 8],
  'high-entropy-payload': [8, 15],
  'timing-anomaly': [2, 5],
  'connection-flood': [20, 40],
  beaconing: [0.5, 2],
};

const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * Whether a behaviour runs a process that the device normally does not (the snapshot shows it).
 *
 * @example
 * runsRogueProcess(episode) // true during connection-flood and beaconing episodes
 */
export function runsRogueProcess(episode: Episode | undefined): boolean {
  return episode?.behaviour === 'connection-flood' || episode?.behaviour === 'beaconing';
}

/**
 * The device's CPU, memory, load and process count at an instant.
 *
 * @example
 * sampleHostLoad(device, undefined, Date.UTC(2026, 0, 1), rng) // { cpuPercent: 7.3, … }
 */
export function sampleHostLoad(device: VirtualDevice, episode: Episode | undefined, atMs: number, rng: Rng): HostLoad {
  const { profile } = device;
  const daily = dailyFactor(device.baseline, atMs);
  let cpu = profile.cpuPercent * (0.7 + 0.3 * daily) * Math.exp(rng.normal(0, 0.25));
  let memory = profile.memoryPercent + rng.normal(0, 0.5);
  let episodeCpu = 0;
  if (episode !== undefined) {
    const [low, high] = CPU_COST[episode.behaviour];
    episodeCpu = Math.min(100 - Math.min(cpu, 99), rng.uniform(low, high));
    cpu += episodeCpu;
    if (episode.behaviour === 'connection-flood') memory += 6;
  }
  cpu = Math.min(100, Math.max(0.3, cpu));
  const cores = profile.board.cpuCores;
  return {
    cpuPercent: round(cpu, 1),
    memoryUsedPercent: round(Math.min(99, Math.max(1, memory)), 1),
    load1: round(Math.max(0, (cores * cpu * rng.uniform(0.9, 1.3)) / 100 + rng.uniform(0, 0.1)), 2),
    processCount: Math.max(
      40,
      profile.processCount + Math.round(rng.normal(0, 1.5)) + (runsRogueProcess(episode) ? 1 : 0),
    ),
    episodeCpuPercent: round(episodeCpu, 1),
  };
}

/**
 * The device's sensor readings: the processor's thermal zone (warmer under load) and its role's sensors, which
 * follow the time of day (e.g. wind speed for a weather station, soil moisture for a soil node).
 *
 * @example
 * sampleSensors(device, 7.5, Date.UTC(2026, 6, 1, 14), rng) // [{ name: 'cpu_temperature', … }, …]
 * sampleSensors(device, 7.5, at, rng, 100) // the same with the fan at full speed: 12 °C cooler
 */
export function sampleSensors(
  device: VirtualDevice,
  cpuPercent: number,
  atMs: number,
  rng: Rng,
  coolingPercent = 0,
): SensorReading[] {
  const { profile } = device;
  const hours = atMs / 3_600_000;
  const day = Math.sin((2 * Math.PI * (hours - 9)) / 24);
  const readings: SensorReading[] = [
    {
      name: 'cpu_temperature',
      // A fan at full speed takes 12 °C off (never below 20 °C).
      value: round(
        Math.max(20, profile.idleTemperature + cpuPercent * 0.25 - coolingPercent * 0.12 + rng.normal(0, 0.3)),
        2,
      ),
      unit: '°C',
      source: 'thermal_zone0',
    },
  ];
  const bias = (((device.index * 0.6180339887) % 1) - 0.5) * 0.2;
  for (const sensor of profile.role.sensors) {
    const span = sensor.high - sensor.low;
    let value: number;
    if (sensor.name === 'wind_speed')
      value = Math.max(0, (sensor.low + span * (0.5 + 0.4 * day + bias)) * Math.exp(rng.normal(0, 0.3)));
    else if (sensor.name === 'soil_moisture')
      value = sensor.low + span * (0.5 - 0.25 * day + bias) + rng.normal(0, sensor.noise);
    else value = sensor.low + span * (0.5 + 0.45 * day + bias) + rng.normal(0, sensor.noise);
    readings.push({ name: sensor.name, value: round(value, 2), unit: sensor.unit, source: sensor.source });
  }
  return readings;
}

/**
 * One telemetry body: host load, sensors and network behaviour over `seconds`, labelled with the behaviour running
 * at `atMs` in `scenario`.
 *
 * @example
 * const body = buildTelemetry(device, episode, 'mixed', t, 1, activity, createRng(key, device.index, PURPOSE.telemetry, tick))
 * telemetryBodySchema.parse(body)
 */
export function buildTelemetry(
  device: VirtualDevice,
  episode: Episode | undefined,
  scenario: Scenario,
  atMs: number,
  seconds: number,
  activity: number,
  rng: Rng,
  coolingPercent = 0,
): TelemetryBody {
  const network: NetworkBehaviour = sampleNetwork(device.baseline, episode, atMs, seconds, activity, rng);
  const host = sampleHostLoad(device, episode, atMs, rng);
  return {
    cpuPercent: host.cpuPercent,
    memoryUsedPercent: host.memoryUsedPercent,
    load1: host.load1,
    processCount: host.processCount,
    network,
    sensors: sampleSensors(device, host.cpuPercent, atMs, rng, coolingPercent),
    label: labelOf(episode, scenario),
  };
}
