/**
 * `npm run bench:canonical`: the canonical-JSON (RFC 8785) encoder on the oracle's hot path, on the messages the
 * oracle hashes: simulated telemetry (small, frequent) and snapshots (large). Prints encodings per second and MB/s
 * of canonical output for each, best of five rounds of about one second (the machine is shared: best, not mean).
 *
 * @example
 * npm run bench:canonical
 */
import { createSimulation, signSimulated } from '../../agent/src/simulate';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';

type Case = { name: string; messages: unknown[] };

function cases(): Case[] {
  const start = Date.UTC(2026, 0, 1);
  const simulation = createSimulation({
    devices: 20,
    ratePerSecond: 1,
    snapshotIntervalSeconds: 10,
    scenario: 'mixed',
    seed: 7,
    startTimeMs: start,
  });
  const telemetry: unknown[] = [];
  const snapshots: unknown[] = [];
  let seq = 0;
  for (let second = 1; second <= 30; second++) {
    for (const message of simulation.step(start + second * 1000)) {
      // What the oracle hashes: the message as received, parsed from its JSON.
      const received = JSON.parse(
        JSON.stringify(signSimulated(simulation.devices[message.deviceIndex]!, message, seq++)),
      );
      (message.kind === 'telemetry' ? telemetry : snapshots).push(received);
    }
  }
  return [
    { name: 'telemetry', messages: telemetry },
    { name: 'snapshot', messages: snapshots },
  ];
}

function measure(messages: unknown[]): { perSecond: number; megabytesPerSecond: number } {
  let best = { perSecond: 0, megabytesPerSecond: 0 };
  for (let round = 0; round < 5; round++) {
    let count = 0;
    let characters = 0;
    const started = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 1) {
      for (const message of messages) characters += canonicalJson(message).length;
      count += messages.length;
      elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    }
    const perSecond = count / elapsed;
    if (perSecond > best.perSecond) best = { perSecond, megabytesPerSecond: characters / elapsed / 1e6 };
  }
  return best;
}

assertNodeVersion(22, 'The benchmark');
for (const { name, messages } of cases()) {
  const size = Math.round(messages.reduce<number>((sum, m) => sum + canonicalJson(m).length, 0) / messages.length);
  const { perSecond, megabytesPerSecond } = measure(messages);
  console.log(
    `${name.padEnd(10)} ${String(messages.length).padStart(4)} messages of ~${size} B: ` +
      `${Math.round(perSecond).toLocaleString('en-US')} encodings/s, ${megabytesPerSecond.toFixed(1)} MB/s`,
  );
}
