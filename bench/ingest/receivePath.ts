/**
 * The oracle's receive path per message, measured alone (no broker, no judging): the envelope check before the
 * journal, the journal's append, and both through `createReceiver` as `runOracle` wires them, for signed telemetry,
 * a full snapshot, a static document, and two kinds of 1 MB junk. Prints CPU µs per message (user and system time,
 * steadier than wall time on a shared machine), the journal's bytes per message and what the previous journal format
 * (JSON lines) took.
 *
 * @example
 * npx ts-node -T bench/ingest/receivePath.ts            # 20,000 of each legitimate message, 50 of each junk
 * npx ts-node -T bench/ingest/receivePath.ts 5000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulation, type SimulatedMessage } from '../../agent/src/simulate/createSimulation';
import { signSimulated, signSimulatedStatic } from '../../agent/src/simulate/sign';
import { checkEnvelope } from '../../oracle/src/ingest/checkEnvelope';
import { createReceiver } from '../../oracle/src/ingest/createReceiver';
import { Journal } from '../../oracle/src/ingest/journal';
import { deviceTopic } from '../../twin-core/src/messages/topics';

const count = Number(process.argv[2] ?? 20_000);
const simulation = createSimulation({
  devices: 4,
  ratePerSecond: 1,
  snapshotIntervalSeconds: 1,
  scenario: 'normal',
  seed: 'receive-path',
  startTimeMs: Date.now(),
});
const produced = simulation.step(Date.now() + 3_000);
const telemetry = produced.find((message) => message.kind === 'telemetry')!;
const snapshot = produced.find((message) => message.kind === 'snapshot')!;
const device = simulation.devices[0]!;
const signed = (message: SimulatedMessage) =>
  Buffer.from(JSON.stringify(signSimulated(simulation.devices[message.deviceIndex]!, message, 1)));
const nearValid = JSON.parse(signed(snapshot).toString()) as Record<string, unknown>;
nearValid.body = { junk: 'x'.repeat(1_000_000) };
const samples: { name: string; topic: string; payload: Buffer; times: number }[] = [
  {
    name: 'telemetry',
    topic: deviceTopic(simulation.devices[telemetry.deviceIndex]!.deviceId, 'telemetry'),
    payload: signed(telemetry),
    times: count,
  },
  {
    name: 'snapshot',
    topic: deviceTopic(simulation.devices[snapshot.deviceIndex]!.deviceId, 'snapshot'),
    payload: signed(snapshot),
    times: count,
  },
  {
    name: 'static',
    topic: deviceTopic(device.deviceId, 'static'),
    payload: Buffer.from(JSON.stringify(signSimulatedStatic(device, 1, new Date().toISOString()))),
    times: count,
  },
  {
    name: 'junk, 1 MB of control bytes',
    topic: deviceTopic(device.deviceId, 'snapshot'),
    payload: Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 32)),
    times: 50,
  },
  {
    name: 'near-valid junk, 1 MB body',
    topic: deviceTopic(simulation.devices[snapshot.deviceIndex]!.deviceId, 'snapshot'),
    payload: Buffer.from(JSON.stringify(nearValid)),
    times: 50,
  },
];

/** CPU time (user and system) per call, µs: steadier than wall time on a machine shared with other work. */
const microseconds = (times: number, run: () => void) => {
  for (let i = 0; i < Math.min(200, times); i++) run(); // warm-up
  const began = process.cpuUsage();
  for (let i = 0; i < times; i++) run();
  const used = process.cpuUsage(began);
  return (used.user + used.system) / times;
};

console.log(`receive path, CPU µs per message (${count} of each legitimate message, 50 of each junk)\n`);
console.log(
  '| message | bytes | envelope check | journal append | receive path (check + append) | journal bytes per message | previous format (JSON lines) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
async function main(): Promise<void> {
  for (const sample of samples) {
    const envelope = checkEnvelope({ topic: sample.topic, payload: sample.payload, maxPayloadBytes: 1_048_576 });
    const check = microseconds(sample.times, () =>
      checkEnvelope({ topic: sample.topic, payload: sample.payload, maxPayloadBytes: 1_048_576 }),
    );
    const directory = mkdtempSync(join(tmpdir(), 'receive-path-'));
    try {
      const journal = new Journal({ directory, maxBytes: 64 * 1024 ** 3 });
      const append = microseconds(sample.times, () =>
        journal.complete(journal.appendNow(sample.topic, sample.payload, 0)),
      );
      // Every append so far is still on disk (the processed mark is written on a timer, after this loop).
      const perMessage = Math.round(journal.stats().bytes / (journal.stats().processedMark + 1));
      const receiver = createReceiver({
        journal,
        maxPayloadBytes: 1_048_576,
        maxQueuedBytes: 64 << 20,
        refuse: () => undefined,
        process: async (offset) => journal.complete(offset),
        log: () => undefined,
      });
      const receive = microseconds(sample.times, () =>
        receiver.receive(
          sample.topic,
          sample.payload,
          0,
          () => undefined,
          () => true,
        ),
      );
      const previous = Buffer.byteLength(
        JSON.stringify({
          offset: 1_000,
          topic: sample.topic,
          payload: sample.payload.toString('utf8'),
          receivedAt: Date.now(),
        }),
      );
      console.log(
        `| ${sample.name} | ${sample.payload.length} | ${check.toFixed(1)} | ${append.toFixed(1)} | ${receive.toFixed(
          1,
        )} | ${envelope.ok ? perMessage : `refused (${envelope.rejection.reason}), 0`} | ${previous + 1} |`,
      );
      receiver.close();
      await new Promise((resolve) => setImmediate(resolve)); // the receive path's processing settles
      journal.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}

void main();
