import { expect } from 'chai';
import { SCENARIOS } from '../../../agent/src/simulate/behaviours';
import { snapshotBodySchema } from '../../../twin-core/src/messages/snapshot';
import { telemetryBodySchema } from '../../../twin-core/src/messages/telemetry';
import { staticDocumentSchema } from '../../../twin-core/src/static/schema';
import { networkBehaviourSchema } from '../../../twin-core/src/messages/behaviour';
import { simulate, snapshotsOf, telemetryOf } from './helpers';

const NETWORK_FIELDS = Object.keys(networkBehaviourSchema.shape).filter((field) => field !== 'unavailable');

describe('Simulator: schema validity', function () {
  for (const scenario of SCENARIOS) {
    it(`every telemetry and snapshot body of scenario ${scenario} parses with the twin-core schemas, unchanged`, function () {
      const { simulation, messages } = simulate(
        { devices: 10, scenario, owner: { ownerId: 'org:lab', location: { latitude: 48.85, longitude: 2.35 } } },
        400,
        7,
      );
      const telemetry = telemetryOf(messages);
      const snapshots = snapshotsOf(messages);
      expect(telemetry.length).to.be.greaterThan(3_900);
      expect(snapshots.length).to.be.greaterThan(120);
      // Collected and asserted once: a chai assertion per field of thousands of messages is slow.
      const problems: string[] = [];
      const problem = (message: { deviceIndex: number; atMs: number; kind: string }, text: string) =>
        problems.push(`${message.kind} of device ${message.deviceIndex} at ${message.atMs}: ${text}`);
      for (const message of telemetry) {
        const parsed = telemetryBodySchema.parse(message.body);
        // Parsing must not have to fill or change anything: the body is already in its output form.
        if (JSON.stringify(parsed) !== JSON.stringify(message.body)) problem(message, 'parsing changed the body');
        if (JSON.stringify(message.body.label) !== JSON.stringify(message.label))
          problem(message, 'body label differs');
        if (Object.keys(message.body.network.unavailable ?? {}).length > 0) problem(message, 'unavailable is not empty');
        for (const field of NETWORK_FIELDS) {
          if ((message.body.network as Record<string, unknown>)[field] == null)
            problem(message, `network.${field} missing`);
        }
        if (message.body.sensors.length < 2 || message.body.sensors.length > 3) problem(message, 'not 2-3 sensors');
        if (message.body.cpuPercent === null || message.body.processCount === null) problem(message, 'no host load');
      }
      for (const message of snapshots) {
        const parsed = snapshotBodySchema.parse(message.body);
        if (JSON.stringify(parsed) !== JSON.stringify(message.body)) problem(message, 'parsing changed the body');
        if (JSON.stringify(message.body.label) !== JSON.stringify(message.label))
          problem(message, 'body label differs');
        for (const [section, probe] of Object.entries({ ...message.body, ...message.body.dns })) {
          if (probe !== null && typeof probe === 'object' && 'available' in probe && probe.available !== true)
            problem(message, `${section} unavailable`);
        }
        if (message.body.owner.ownerId !== 'org:lab' || message.body.owner.location?.latitude !== 48.85)
          problem(message, 'owner');
        const processes = message.body.processes as { value: { list: unknown[] } };
        if (processes.value.list.length < 15) problem(message, 'short process table');
        const network = message.body.network as {
          value: { listening: unknown[]; interfaces: unknown[]; routes: unknown[] };
        };
        if (network.value.listening.length < 4 || network.value.interfaces.length !== 2)
          problem(message, 'network section');
      }
      for (const message of [...telemetry, ...snapshots]) {
        if (message.label.scenario !== scenario) problem(message, `scenario ${message.label.scenario}`);
        if (message.label.anomalous !== (message.label.behaviour !== 'normal')) problem(message, 'anomalous flag');
      }
      expect(problems.slice(0, 20)).to.deep.equal([]);
      if (scenario === 'normal') expect(messages.every((message) => !message.label.anomalous)).to.equal(true);
      else expect(telemetry.some((message) => message.label.anomalous)).to.equal(true);
      for (const device of simulation.devices) staticDocumentSchema.parse(device.staticDocument);
    });
  }

  it('gives an owner per device when the option is a function', function () {
    const { messages } = simulate(
      { devices: 3, owner: (index) => ({ ownerId: `owner-${index}`, location: null }) },
      60,
    );
    const snapshots = snapshotsOf(messages);
    expect(snapshots.length).to.be.greaterThan(3);
    for (const snapshot of snapshots) expect(snapshot.body.owner.ownerId).to.equal(`owner-${snapshot.deviceIndex}`);
  });
});
