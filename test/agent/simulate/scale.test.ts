import { expect } from 'chai';
import { createSimulation } from '../../../agent/src/simulate/createSimulation';
import { snapshotBodySchema } from '../../../twin-core/src/messages/snapshot';
import { telemetryBodySchema } from '../../../twin-core/src/messages/telemetry';
import { options, START_MS } from './helpers';

const MiB = 1024 * 1024;

describe('Simulator: 10,000 devices in one process', function () {
  it('creates 10,000 devices and steps them for a few simulated seconds with bounded memory', function () {
    const before = process.memoryUsage().heapUsed;
    const simulation = createSimulation(options({ devices: 10_000, scenario: 'mixed', seed: 'scale' }));
    const created = process.memoryUsage().heapUsed;
    expect(simulation.devices.length).to.equal(10_000);
    expect(new Set(simulation.devices.map((device) => device.deviceId)).size).to.equal(10_000);
    let telemetry = 0;
    let snapshots = 0;
    let anomalous = 0;
    let peak = created;
    const perDevice = new Uint16Array(10_000);
    for (let at = 250; at <= 4_000; at += 250) {
      const messages = simulation.step(START_MS + at);
      for (const message of messages) {
        perDevice[message.deviceIndex]!++;
        if (message.kind === 'telemetry') telemetry++;
        else snapshots++;
        if (message.label.anomalous) anomalous++;
      }
      // A sample of every step is schema-valid.
      const sample = messages[messages.length >> 1]!;
      (sample.kind === 'telemetry' ? telemetryBodySchema : snapshotBodySchema).parse(sample.body);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
    console.log(
      `      heap used: ${mib(before)} before (earlier tests' garbage included), +${mib(created - before)} for ` +
        `10,000 devices, peak ${mib(peak)} (+${mib(peak - before)}) while stepping; ` +
        `${telemetry} telemetry, ${snapshots} snapshots, ${anomalous} labelled anomalous`,
    );
    // 4 simulated seconds at 1/s: 4 or 5 telemetry messages per device; about 4/30 of the devices snapshot.
    expect(telemetry).to.be.within(40_000, 50_000);
    expect(snapshots).to.be.within(1_200, 1_500);
    expect(Math.min(...perDevice)).to.be.at.least(4);
    expect(anomalous).to.be.above(0);
    expect(peak).to.be.below(1.5 * 1024 * MiB);
  });
});
