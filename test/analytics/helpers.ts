import type { EpisodeConfig, Scenario } from '../../agent/src/simulate/behaviours';
import { createAnalyzer, type Analyzer, type CreateAnalyzerOptions } from '../../analytics/src/createAnalyzer';
import { createRecorder, type Recording } from '../../analytics/src/eval/createRecorder';
import { simulateFleet, type FleetSummary } from '../../analytics/src/eval/simulateFleet';
import type { AlertEvent } from '../../analytics/src/engine/types';
import type { TelemetryBody } from '../../twin-core/src/messages/telemetry';

/** 2026-01-01T00:00:00Z. */
export const START_MS = Date.UTC(2026, 0, 1);

/** Options of {@link runScenario}. */
export type ScenarioRun = {
  scenario: Scenario;
  seed?: string;
  devices?: number;
  normalDevices?: number;
  commissionMinutes?: number;
  minutes: number;
  episodes?: Partial<EpisodeConfig>;
  analyzer?: CreateAnalyzerOptions;
};

/** Commissioning, then a scenario, through a fresh analyzer: every alert event and the ground truth. */
export function runScenario(run: ScenarioRun): {
  analyzer: Analyzer;
  events: AlertEvent[];
  recording: Recording;
  fleet: FleetSummary;
} {
  const analyzer = createAnalyzer({ validate: false, ...run.analyzer });
  const recorder = createRecorder();
  const events: AlertEvent[] = [];
  analyzer.on('alert', (event) => {
    events.push(event);
    recorder.alert(event);
  });
  const fleet = simulateFleet(
    {
      seed: run.seed ?? `test-${run.scenario}`,
      devices: run.devices ?? 4,
      normalDevices: run.normalDevices ?? 0,
      scenario: run.scenario,
      minutes: run.minutes,
      commissionMinutes: run.commissionMinutes ?? 10,
      startTimeMs: START_MS,
      episodes: run.episodes,
    },
    (message) => {
      recorder.message(message);
      analyzer.analyze(message.envelope);
    },
  );
  return { analyzer, events, recording: recorder.finish(), fleet };
}

/** A DeviceID from a number: 0x + 64 hex digits. */
export const deviceIdOf = (index: number) => `0x${index.toString(16).padStart(64, '0')}`;

/** A plausible telemetry body: `overrides` replace network metrics. */
export function telemetryBody(overrides: Partial<TelemetryBody['network']> = {}, jitter = 0): TelemetryBody {
  const wobble = (value: number) => value * (1 + jitter);
  return {
    cpuPercent: 7,
    memoryUsedPercent: 31,
    load1: 0.2,
    processCount: 120,
    network: {
      intervalSeconds: 1,
      packetsInPerSec: wobble(20),
      packetsOutPerSec: wobble(16),
      bytesInPerSec: wobble(20 * 450),
      bytesOutPerSec: wobble(16 * 250),
      protocolMix: { tcp: 0.75, udp: 0.24, icmp: 0.01 },
      newConnectionsPerSec: 0.1,
      failedConnectionsPerSec: 0,
      resetsPerSec: 0,
      retransmitsPerSec: 0.1,
      establishedConnections: 6,
      dnsQueriesPerSec: 0.1,
      tlsHandshakesPerSec: 0.05,
      meanSessionSeconds: wobble(60),
      latencyMs: wobble(20),
      jitterMs: wobble(3),
      meanPayloadBytes: wobble(360),
      payloadSizeEntropyBits: 4 + jitter,
      meanInterArrivalMs: wobble(62),
      interArrivalCv: wobble(1.1),
      unavailable: {},
      ...overrides,
    },
    sensors: [],
  };
}

/** A telemetry envelope. */
export function telemetryMessage(deviceId: string, seq: number, atMs: number, body: TelemetryBody) {
  return { v: 1, kind: 'telemetry' as const, deviceId, seq, ts: new Date(atMs).toISOString(), body };
}

/** Deterministic noise in [-0.5, 0.5): a small LCG, so hand-made baselines have a spread. */
export function noise(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}
