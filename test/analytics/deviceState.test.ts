import { expect } from 'chai';
import { createAnalyzer, type Analyzer } from '../../analytics/src/createAnalyzer';
import { DEVICE_STATE_VERSION, fromJsonSafe, toJsonSafe } from '../../analytics/src';
import { InvalidDeviceStateError } from '../../analytics/src/errors';
import type { AlertEvent } from '../../analytics/src/engine/types';
import { simulateFleet, type FleetMessage } from '../../analytics/src/eval/simulateFleet';
import { thrownBy } from '../helpers/thrownBy';
import { START_MS, deviceIdOf, telemetryBody, telemetryMessage } from './helpers';

const OPTIONS = { validate: false, warmupSeconds: 240, warmupSamples: 60 } as const;

/** A mixed fleet in simulated time: normal commissioning, then episodes of every behaviour. */
function fleetMessages(): FleetMessage[] {
  const messages: FleetMessage[] = [];
  simulateFleet(
    {
      seed: 'device-state',
      devices: 6,
      normalDevices: 1,
      scenario: 'mixed',
      minutes: 12,
      commissionMinutes: 6,
      startTimeMs: START_MS,
      episodes: { deviceFraction: 1, periodSeconds: 180, minSeconds: 40, maxSeconds: 90 },
    },
    (message) => messages.push(message),
  );
  return messages;
}

/** A new analyzer holding every device of `from`, restored from its exports. */
function restored(from: Analyzer, deviceIds: Iterable<string>): Analyzer {
  const to = createAnalyzer(OPTIONS);
  for (const deviceId of deviceIds) expect(to.importDevice(from.exportDevice(deviceId)!, deviceId)).to.equal(deviceId);
  return to;
}

describe('analytics: a device state exported and imported (issue 15 item 8)', function () {
  this.timeout(60_000);

  it('a restored analyzer behaves as the original on every following message: alerts, statusOf, isQuiet, flush', function () {
    const messages = fleetMessages();
    const original = createAnalyzer(OPTIONS);
    const deviceIds = new Set<string>();
    // Up to a moment with alerts open (after the warm-up, mid-episode).
    let split = 0;
    for (; split < messages.length; split++) {
      const { envelope } = messages[split]!;
      deviceIds.add(envelope.deviceId);
      original.analyze(envelope);
      if (original.openAlerts().length >= 2 && messages[split]!.phase === 'evaluation') break;
    }
    expect(split, 'alerts open before the end').to.be.below(messages.length - 1000);
    const copy = restored(original, deviceIds);
    expect(copy.openAlerts()).to.deep.equal(original.openAlerts());
    const atMs = messages[split]!.atMs;
    for (const deviceId of deviceIds) {
      expect(copy.statusOf(deviceId, atMs)).to.deep.equal(original.statusOf(deviceId, atMs));
      expect(copy.exportDevice(deviceId)).to.deep.equal(original.exportDevice(deviceId));
    }
    expect([...deviceIds].filter((deviceId) => original.statusOf(deviceId, atMs).warmedUp)).to.have.length(
      deviceIds.size,
    );

    const before: AlertEvent[] = [];
    const after: AlertEvent[] = [];
    for (const { envelope, atMs: at } of messages.slice(split + 1)) {
      before.push(...original.analyze(envelope));
      after.push(...copy.analyze(envelope));
      if (at % 60_000 === 0) {
        for (const deviceId of deviceIds) {
          expect(copy.statusOf(deviceId, at)).to.deep.equal(original.statusOf(deviceId, at));
          expect(copy.isQuiet(deviceId, 30, at)).to.equal(original.isQuiet(deviceId, 30, at));
        }
      }
    }
    expect(before.filter((event) => event.type === 'open').length, 'alerts opened after the split').to.be.above(2);
    expect(after).to.deep.equal(before);
    const end = messages.at(-1)!.atMs + 600_000;
    expect(copy.flush(end)).to.deep.equal(original.flush(end));
    for (const deviceId of deviceIds)
      expect(copy.exportDevice(deviceId)).to.deep.equal(original.exportDevice(deviceId));
  });

  it('keeps NaN and infinities exactly, in the numbers and in the evidence', function () {
    const analyzer = createAnalyzer(OPTIONS);
    const deviceId = deviceIdOf(1);
    analyzer.analyze(telemetryMessage(deviceId, 1, START_MS, telemetryBody()));
    const state = analyzer.exportDevice(deviceId)!;
    const copy = createAnalyzer(OPTIONS);
    copy.importDevice(state);
    expect(copy.exportDevice(deviceId)).to.deep.equal(state);
    expect(copy.statusOf(deviceId, START_MS)).to.deep.equal(analyzer.statusOf(deviceId, START_MS));
    const value = { a: Number.NaN, b: [Number.POSITIVE_INFINITY, 1, null], c: { d: Number.NEGATIVE_INFINITY } };
    const json = JSON.parse(JSON.stringify(toJsonSafe(value)));
    expect(json.a).to.deep.equal({ $number: 'NaN' });
    const back = fromJsonSafe(json) as typeof value;
    expect(Number.isNaN(back.a)).to.equal(true);
    expect(back.b).to.deep.equal([Number.POSITIVE_INFINITY, 1, null]);
    expect(back.c.d).to.equal(Number.NEGATIVE_INFINITY);
  });

  it('says which devices changed or were dropped since the last call', function () {
    const untracked = createAnalyzer(OPTIONS);
    untracked.analyze(telemetryMessage(deviceIdOf(1), 1, START_MS, telemetryBody()));
    expect(untracked.takeChanges(), 'recorded only with trackChanges').to.deep.equal({ changed: [], removed: [] });
    const analyzer = createAnalyzer({ ...OPTIONS, maxDevices: 2, trackChanges: true });
    const [a, b, c] = [1, 2, 3].map(deviceIdOf) as [string, string, string];
    analyzer.analyze(telemetryMessage(a, 1, START_MS, telemetryBody()));
    analyzer.analyze(telemetryMessage(b, 1, START_MS, telemetryBody()));
    expect(analyzer.takeChanges()).to.deep.equal({ changed: [a, b], removed: [] });
    expect(analyzer.takeChanges()).to.deep.equal({ changed: [], removed: [] });
    analyzer.analyze(telemetryMessage(b, 1, START_MS, telemetryBody())); // a duplicate: no change
    expect(analyzer.takeChanges().changed).to.deep.equal([]);
    analyzer.analyze(telemetryMessage(c, 1, START_MS, telemetryBody())); // evicts a
    expect(analyzer.takeChanges()).to.deep.equal({ changed: [c], removed: [a] });
    analyzer.reset(b);
    const copy = createAnalyzer({ ...OPTIONS, trackChanges: true });
    copy.importDevice(analyzer.exportDevice(c)!);
    expect(analyzer.takeChanges()).to.deep.equal({ changed: [], removed: [b] });
    expect(copy.takeChanges()).to.deep.equal({ changed: [], removed: [] });
  });

  it('refuses a bad, foreign, truncated or inconsistent state naming what is wrong, and keeps its own', function () {
    const analyzer = createAnalyzer(OPTIONS);
    const deviceId = deviceIdOf(7);
    analyzer.analyze(telemetryMessage(deviceId, 1, START_MS, telemetryBody()));
    const state = analyzer.exportDevice(deviceId)!;
    const target = createAnalyzer(OPTIONS);
    const refused = (bytes: unknown, expected?: string) => {
      const error = thrownBy(() => target.importDevice(bytes as Uint8Array, expected));
      expect(error).to.be.instanceOf(InvalidDeviceStateError);
      return (error as Error).message;
    };
    const patched = (at: number, bytes: number[]) => {
      const copy = state.slice();
      copy.set(bytes, at);
      return copy;
    };
    expect(refused('not bytes')).to.contain('not bytes').and.contain('string');
    expect(refused(new Uint8Array(10)))
      .to.contain('truncated')
      .and.contain('10 bytes');
    expect(refused(patched(0, [0x50, 0x4b]))).to.contain('not an analyzer device state');
    expect(refused(patched(4, [DEVICE_STATE_VERSION + 1, 0])))
      .to.contain('another format version')
      .and.contain(`version ${DEVICE_STATE_VERSION + 1}`);
    expect(refused(patched(6, [99, 0])))
      .to.contain('another layout')
      .and.contain('detectors: the state has 99');
    expect(refused(patched(20, [1, 2, 3, 4])))
      .to.contain('another layout')
      .and.contain('layout hash');
    expect(refused(state.subarray(0, state.length - 1)))
      .to.contain('truncated')
      .and.contain(`${state.length - 1} bytes`);
    expect(refused(new Uint8Array([...state, 0]))).to.contain('over-long');
    expect(refused(state, deviceIdOf(8)))
      .to.contain('another device')
      .and.contain(deviceId);
    // Saved with another set capacity.
    expect(thrownBy(() => createAnalyzer({ ...OPTIONS, setCapacity: 32 }).importDevice(state)))
      .to.be.instanceOf(InvalidDeviceStateError)
      .with.property('message')
      .that.contains('name-set capacity')
      .and.contains('setCapacity is 64');
    // One open alert counted, none open.
    expect(refused(patched(48, [1, 0, 0, 0])))
      .to.contain('inconsistent')
      .and.contain('1 open alerts counted, 0 open');
    expect(target.statusOf(deviceId).known).to.equal(false);
    expect(target.stats().devices).to.equal(0);
  });
});
