import {
  createSimulation,
  type SimulatedMessage,
  type Simulation,
  type SimulationOptions,
} from '../../../agent/src/simulate/createSimulation';
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';

/** 2026-01-01T00:00:00Z: every simulation in these tests starts here. */
export const START_MS = Date.UTC(2026, 0, 1);

/** Options with test defaults: 1 telemetry/s, a snapshot every 30 s, seed 42. */
export function options(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  return {
    devices: 8,
    ratePerSecond: 1,
    snapshotIntervalSeconds: 30,
    scenario: 'normal',
    seed: 42,
    startTimeMs: START_MS,
    ...overrides,
  };
}

/** Steps a simulation every `stepSeconds` up to `seconds` after the start and returns every message, in order. */
export function runFor(simulation: Simulation, seconds: number, stepSeconds = 1): SimulatedMessage[] {
  const messages: SimulatedMessage[] = [];
  for (let at = 0; at <= seconds; at += stepSeconds) {
    for (const message of simulation.step(START_MS + at * 1000)) messages.push(message);
  }
  return messages;
}

/** Creates a simulation and runs it. */
export function simulate(overrides: Partial<SimulationOptions>, seconds: number, stepSeconds = 1) {
  const simulation = createSimulation(options(overrides));
  return { simulation, messages: runFor(simulation, seconds, stepSeconds) };
}

export type TelemetryMessage = Extract<SimulatedMessage, { kind: 'telemetry' }>;
export type SnapshotMessage = Extract<SimulatedMessage, { kind: 'snapshot' }>;

export const telemetryOf = (messages: SimulatedMessage[]) =>
  messages.filter((message): message is TelemetryMessage => message.kind === 'telemetry');
export const snapshotsOf = (messages: SimulatedMessage[]) =>
  messages.filter((message): message is SnapshotMessage => message.kind === 'snapshot');

export const mean = (values: number[]) => {
  if (values.length === 0) throw new Error('mean of nothing');
  return values.reduce((sum, value) => sum + value, 0) / values.length;
};

/** The mean of a telemetry metric over messages labelled anomalous and over those labelled normal. */
export function split(messages: TelemetryMessage[], metric: (body: TelemetryBody) => number) {
  const anomalous = messages.filter((message) => message.label.anomalous).map((message) => metric(message.body));
  const normal = messages.filter((message) => !message.label.anomalous).map((message) => metric(message.body));
  return { anomalous: mean(anomalous), normal: mean(normal), counts: [anomalous.length, normal.length] };
}
