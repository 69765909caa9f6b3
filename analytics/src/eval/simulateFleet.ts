import { createSimulation, type SimulatedMessage, type Simulation } from '../../../agent/src/simulate/createSimulation';
import type { EpisodeConfig, Scenario } from '../../../agent/src/simulate/behaviours';
import type { GroundTruth } from '../../../twin-core/src/messages/behaviour';
import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';

/** Options of {@link simulateFleet}. */
export type FleetOptions = {
  seed: string;
  /** Devices of the judged scenario (`mixed`: a share of them have episodes). */
  devices: number;
  /** The judged scenario after the commissioning. Default `mixed`. */
  scenario?: Scenario | undefined;
  /** Devices of a separate `normal` scenario (seed `{seed}/normal`): the false-positive population. */
  normalDevices: number;
  /** Minutes of evaluation after the commissioning. */
  minutes: number;
  /** Minutes every device behaves normally first (its baseline is learned then). */
  commissionMinutes: number;
  /** Simulated start, ms since the epoch. */
  startTimeMs: number;
  /** Episode layout of the judged scenario (simulator defaults otherwise). */
  episodes?: Partial<EpisodeConfig> | undefined;
};

/** A fleet message: the envelope the analyzer reads, with where it came from. */
export type FleetMessage = {
  envelope:
    | { kind: 'telemetry'; deviceId: string; seq: number; ts: string; body: TelemetryBody }
    | { kind: 'snapshot'; deviceId: string; seq: number; ts: string; body: SnapshotBody };
  atMs: number;
  /** `mixed`: a device of the judged scenario; `normal`: of the normal-only population. */
  group: 'mixed' | 'normal';
  phase: 'commission' | 'evaluation';
  label: GroundTruth;
};

/** What {@link simulateFleet} reports when done. */
export type FleetSummary = { evaluationFromMs: number; evaluationToMs: number; messages: number };

/**
 * Runs the evaluation fleet in simulated time, one-second steps, calling `onMessage` for every message in time
 * order per device. The judged devices are commissioned first: for `commissionMinutes` the same devices (same seed,
 * so the same identities and baselines) run the `normal` scenario, then the judged scenario (`mixed` by default)
 * starts and episodes may begin at once. The normal-only devices run the `normal` scenario throughout.
 *
 * @example
 * simulateFleet({ seed: '7', devices: 300, normalDevices: 100, minutes: 60, commissionMinutes: 15, startTimeMs: 0 }, (m) => analyzer.analyze(m.envelope))
 */
export function simulateFleet(options: FleetOptions, onMessage: (message: FleetMessage) => void): FleetSummary {
  const { seed, startTimeMs } = options;
  const commissionMs = Math.round(options.commissionMinutes * 60_000);
  const evaluationFromMs = startTimeMs + commissionMs;
  const evaluationToMs = evaluationFromMs + Math.round(options.minutes * 60_000);
  const common = { ratePerSecond: 1, snapshotIntervalSeconds: 30 };
  const commission = createSimulation({ ...common, devices: options.devices, scenario: 'normal', seed, startTimeMs });
  const normal =
    options.normalDevices > 0
      ? createSimulation({
          ...common,
          devices: options.normalDevices,
          scenario: 'normal',
          seed: `${seed}/normal`,
          startTimeMs,
        })
      : undefined;
  let mixed: Simulation | undefined;
  const seq = new Map<string, number>();
  let messages = 0;

  const deliver = (
    simulation: Simulation,
    group: FleetMessage['group'],
    phase: FleetMessage['phase'],
    nowMs: number,
  ) => {
    for (const message of simulation.step(nowMs)) {
      const device = simulation.devices[message.deviceIndex]!;
      const next = (seq.get(device.deviceId) ?? -1) + 1;
      seq.set(device.deviceId, next);
      messages++;
      onMessage({
        envelope: envelopeOf(device.deviceId, next, message),
        atMs: message.atMs,
        group,
        phase,
        label: message.label,
      });
    }
  };

  for (let nowMs = startTimeMs; nowMs < evaluationToMs; nowMs += 1000) {
    if (nowMs < evaluationFromMs) deliver(commission, 'mixed', 'commission', nowMs);
    else {
      mixed ??= createSimulation({
        ...common,
        devices: options.devices,
        scenario: options.scenario ?? 'mixed',
        seed,
        startTimeMs: evaluationFromMs,
        ...(options.episodes ? { episodes: options.episodes } : {}),
      });
      deliver(mixed, 'mixed', 'evaluation', nowMs);
    }
    if (normal !== undefined) deliver(normal, 'normal', nowMs < evaluationFromMs ? 'commission' : 'evaluation', nowMs);
  }
  return { evaluationFromMs, evaluationToMs, messages };
}

function envelopeOf(deviceId: string, seq: number, message: SimulatedMessage): FleetMessage['envelope'] {
  const ts = new Date(message.atMs).toISOString();
  return message.kind === 'telemetry'
    ? { kind: 'telemetry', deviceId, seq, ts, body: message.body }
    : { kind: 'snapshot', deviceId, seq, ts, body: message.body };
}
