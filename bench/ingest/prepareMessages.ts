import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignerPool } from '../../agent/src/device/signerPool';
import { createSimulation, type SimulatedMessage } from '../../agent/src/simulate/createSimulation';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { MESSAGE_SCHEMA_VERSION, type UnsignedDeviceMessage } from '../../twin-core/src/messages/envelope';
import { deviceTopic } from '../../twin-core/src/messages/topics';

/** The phases of one ingest run, in publishing order. */
export const INGEST_PHASES = ['static', 'telemetry', 'snapshots', 'paced'] as const;
export type IngestPhase = (typeof INGEST_PHASES)[number];

/** How many messages of each phase to prepare for `devices` simulated devices. */
export type IngestPlan = {
  devices: number;
  seed: string;
  /** Telemetry readings, published at full speed (in simulation order: every device in turn). */
  telemetry: number;
  /** Full snapshots published at full speed (in simulation order: every device in turn). */
  snapshots: number;
  /** Full snapshots published at a fixed rate afterwards (0: no paced phase). */
  paced: number;
};

/** What was prepared: messages per phase and how long generating and signing took. */
export type PreparedMessages = { directory: string; counts: Record<IngestPhase, number>; seconds: number };

/**
 * The file of a phase: one message per line, `topic TAB seq TAB payload` (the payload is the signed message's JSON,
 * which holds no tab or newline).
 *
 * @example
 * phaseFile('/tmp/bench/messages-1000', 'telemetry') // '/tmp/bench/messages-1000/telemetry.tsv'
 */
export function phaseFile(directory: string, phase: IngestPhase): string {
  return join(directory, `${phase}.tsv`);
}

/** Simulated time between two generation steps: small, so that a step's bodies stay a few MB. */
const STEP_MS = 100;

/**
 * Generates the messages of every phase with the simulator (`createSimulation`, scenario `mixed`, the devices whose
 * twins `mintTwins` minted with the same seed) and signs them with each device's key on worker threads (the agent's
 * `SignerPool`), writing them to one file per phase. Each device's sequence number rises across the phases in
 * publishing order (static, telemetry, snapshots, paced). Message times are the simulated instants, starting now.
 *
 * @example
 * const prepared = await prepareMessages({ devices: 1000, seed: 'bench', telemetry: 20_000, snapshots: 5_000, paced: 2_500 }, dir)
 */
export async function prepareMessages(plan: IngestPlan, directory: string): Promise<PreparedMessages> {
  const began = performance.now();
  mkdirSync(directory, { recursive: true });
  const startTimeMs = Date.now();
  const common = { devices: plan.devices, scenario: 'mixed' as const, seed: plan.seed, startTimeMs };
  // Two simulations of the same devices: one producing only telemetry, one only snapshots.
  const telemetrySim = createSimulation({ ...common, ratePerSecond: 1, snapshotIntervalSeconds: 1e9 });
  const snapshotSim = createSimulation({ ...common, ratePerSecond: 1e-9, snapshotIntervalSeconds: 1 });
  const devices = telemetrySim.devices;
  const seq = new Int32Array(plan.devices);
  const signer = new SignerPool();
  const counts = { static: 0, telemetry: 0, snapshots: 0, paced: 0 };
  const unsigned = (index: number, kind: UnsignedDeviceMessage['kind'], body: unknown, atMs: number) =>
    ({
      v: MESSAGE_SCHEMA_VERSION,
      kind,
      deviceId: devices[index]!.deviceId,
      seq: ++seq[index]!,
      ts: new Date(atMs).toISOString(),
      body,
    } as UnsignedDeviceMessage);
  const write = async (
    phase: IngestPhase,
    fd: number,
    messages: { index: number; message: UnsignedDeviceMessage }[],
  ) => {
    const payloads = await Promise.all(
      messages.map(({ index, message }) => signer.sign(index, message, devices[index]!.privateKey)),
    );
    const lines = messages.map(
      ({ message }, i) => `${deviceTopic(message.deviceId as Hex, message.kind)}\t${message.seq}\t${payloads[i]}\n`,
    );
    writeSync(fd, lines.join(''));
    counts[phase] += messages.length;
  };
  const fromSimulation = (message: SimulatedMessage) => ({
    index: message.deviceIndex,
    message: unsigned(message.deviceIndex, message.kind, message.body, message.atMs),
  });
  try {
    let fd = openSync(phaseFile(directory, 'static'), 'w');
    for (let from = 0; from < plan.devices; from += 1_000) {
      const indices = Array.from({ length: Math.min(1_000, plan.devices - from) }, (_, i) => from + i);
      await write(
        'static',
        fd,
        indices.map((index) => ({
          index,
          message: unsigned(index, 'static', devices[index]!.staticDocument, startTimeMs),
        })),
      );
    }
    closeSync(fd);

    fd = openSync(phaseFile(directory, 'telemetry'), 'w');
    const telemetryTotal = plan.telemetry;
    for (let at = startTimeMs + STEP_MS; counts.telemetry < telemetryTotal; at += STEP_MS) {
      // Device 0 (no stagger) has both kinds due at the start: each simulation keeps its own kind only.
      const due = telemetrySim
        .step(at)
        .filter((message) => message.kind === 'telemetry')
        .slice(0, telemetryTotal - counts.telemetry);
      await write('telemetry', fd, due.map(fromSimulation));
    }
    closeSync(fd);

    const burstTotal = plan.snapshots;
    let phase: IngestPhase = 'snapshots';
    fd = openSync(phaseFile(directory, 'snapshots'), 'w');
    const pacedFd = openSync(phaseFile(directory, 'paced'), 'w');
    for (let at = startTimeMs + STEP_MS; counts.snapshots + counts.paced < burstTotal + plan.paced; at += STEP_MS) {
      let due = snapshotSim.step(at).filter((message) => message.kind === 'snapshot');
      while (due.length > 0) {
        const room = phase === 'snapshots' ? burstTotal - counts.snapshots : plan.paced - counts.paced;
        await write(phase, phase === 'snapshots' ? fd : pacedFd, due.slice(0, room).map(fromSimulation));
        due = due.slice(room);
        if (phase === 'snapshots' && counts.snapshots >= burstTotal) phase = 'paced';
        if (phase === 'paced' && counts.paced >= plan.paced) break;
      }
    }
    closeSync(fd);
    closeSync(pacedFd);
  } finally {
    await signer.close();
  }
  return { directory, counts, seconds: Math.round((performance.now() - began) / 100) / 10 };
}
