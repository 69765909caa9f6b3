import { expect } from 'chai';
import { createAnalyzer, type CreateAnalyzerOptions } from '../../analytics/src/createAnalyzer';
import { FEATURE_INDEX } from '../../analytics/src/features/features';
import { InvalidAnalyzerConfigError, InvalidAnalyzerMessageError } from '../../analytics/src/errors';
import type { AlertEvent, TelemetrySample } from '../../analytics/src/engine/types';
import type { TelemetryBody } from '../../twin-core/src/messages/telemetry';
import { thrownBy } from '../helpers/thrownBy';
import { START_MS, deviceIdOf, noise, telemetryBody, telemetryMessage } from './helpers';

const DEVICE = deviceIdOf(1);

/** A hand-driven device: one telemetry message per second, ±10 % noise unless a body is given. */
function drive(options: CreateAnalyzerOptions = {}) {
  let clock = START_MS;
  const analyzer = createAnalyzer({ warmupSeconds: 120, warmupSamples: 60, ...options, now: () => clock });
  const events: AlertEvent[] = [];
  const samples: TelemetrySample[] = [];
  analyzer.on('alert', (event) => events.push(event));
  analyzer.on('telemetry', (sample) => samples.push({ ...sample, z: Float64Array.from(sample.z) }));
  const random = noise(7);
  let seq = 0;
  const send = (seconds: number, body: (index: number) => TelemetryBody = () => telemetryBody({}, random() * 0.2)) => {
    for (let index = 0; index < seconds; index++) {
      clock += 1000;
      analyzer.analyze(telemetryMessage(DEVICE, seq++, clock, body(index)));
    }
  };
  return { analyzer, events, samples, send, now: () => clock };
}

const spike = (factor: number) => () =>
  telemetryBody({ packetsInPerSec: 20 * factor, packetsOutPerSec: 16 * factor, bytesInPerSec: 9000 * factor });

describe('analytics: the analyzer engine (hand-made sequences)', function () {
  it('opens after the persistence time, updates, closes after quiet; statusOf and isQuiet follow', function () {
    const { analyzer, events, send, now } = drive();
    send(300);
    expect(events).to.deep.equal([]);
    const quietSince = analyzer.statusOf(DEVICE);
    expect(quietSince).to.include({ known: true, warmedUp: true, anomalous: false });
    const spikeStart = now() + 1000;
    send(40, spike(10));
    const open = events.find((event) => event.type === 'open')!;
    expect(open.alert.behaviour).to.equal('traffic-spike');
    expect(open.alert.openedAtMs - open.alert.window.from).to.be.at.least(3000);
    expect(open.alert.window.from).to.be.at.least(spikeStart);
    expect(open.alert.score).to.be.within(0.5, 1);
    expect(events.filter((event) => event.type === 'open')).to.have.length(1);
    expect(events.some((event) => event.type === 'update')).to.equal(true);
    expect(analyzer.statusOf(DEVICE)).to.deep.include({
      anomalous: true,
      normalSinceMs: null,
      openAlerts: ['traffic-spike'],
    });
    expect(analyzer.openAlerts().map((alert) => alert.id)).to.deep.equal([open.alert.id]);

    send(60);
    const close = events.find((event) => event.type === 'close')!;
    expect(close.alert.id).to.equal(open.alert.id);
    expect(close.alert.closedAtMs! - close.alert.window.to).to.be.at.least(15_000);
    const status = analyzer.statusOf(DEVICE);
    expect(status.anomalous).to.equal(false);
    expect(status.normalSinceMs).to.be.at.least(close.alert.window.to);
    expect(analyzer.isQuiet(DEVICE, 30)).to.equal(true);
    expect(analyzer.isQuiet(DEVICE, 600)).to.equal(false);
    send(600);
    expect(analyzer.isQuiet(DEVICE, 600)).to.equal(true);
  });

  it('a one-off outlier opens nothing and barely moves the baseline (winsorised, persistent)', function () {
    const { events, samples, send } = drive();
    send(300);
    send(1, spike(50));
    send(30);
    expect(events).to.deep.equal([]);
    const last = samples[samples.length - 1]!;
    expect(Math.abs(last.z[FEATURE_INDEX.packetsInPerSec]!)).to.be.below(2);
  });

  it('judges nothing during the warm-up, however abnormal', function () {
    const { analyzer, events, send } = drive({ warmupSeconds: 300 });
    send(100);
    send(100, spike(20));
    expect(events).to.deep.equal([]);
    expect(analyzer.statusOf(DEVICE)).to.include({ warmedUp: false, normalSinceMs: null });
  });

  it('flush closes the alerts of a device that stopped sending', function () {
    const { analyzer, events, send, now } = drive();
    send(300);
    send(20, spike(10));
    expect(analyzer.stats().openAlerts).to.equal(1);
    const closed = analyzer.flush(now() + 60_000);
    expect(closed.map((event) => event.type)).to.deep.equal(['close']);
    expect(events[events.length - 1]).to.deep.equal(closed[0]);
    expect(analyzer.stats().openAlerts).to.equal(0);
  });

  it('ignores duplicates, older messages, static and status; reset forgets a device', function () {
    const { analyzer, send, now } = drive();
    send(5);
    expect(analyzer.analyze(telemetryMessage(DEVICE, 2, now() + 1000, telemetryBody()))).to.deep.equal([]);
    expect(analyzer.analyze(telemetryMessage(DEVICE, 99, now() - 10_000, telemetryBody()))).to.deep.equal([]);
    analyzer.analyze({ kind: 'status', deviceId: DEVICE, seq: 100, ts: new Date(now()).toISOString(), body: {} });
    expect(analyzer.stats()).to.include({ devices: 1, messages: 8, ignored: 3 });
    expect(analyzer.reset(DEVICE)).to.equal(true);
    expect(analyzer.statusOf(DEVICE).known).to.equal(false);
  });

  it('keeps at most maxDevices devices, dropping the least recently seen', function () {
    const analyzer = createAnalyzer({ maxDevices: 2 });
    for (const [index, device] of [1, 2, 1, 3].entries())
      analyzer.analyze(telemetryMessage(deviceIdOf(device), index, START_MS + index * 1000, telemetryBody()));
    expect(analyzer.stats().devices).to.equal(2);
    expect(analyzer.statusOf(deviceIdOf(2)).known).to.equal(false);
    expect(analyzer.statusOf(deviceIdOf(1)).known).to.equal(true);
  });

  it('rejects an invalid configuration and an invalid message with BaseErrors naming the field', function () {
    const config = thrownBy(() => createAnalyzer({ quietSeconds: -1, thresholds: { beaconing: 0 } }));
    expect(config).to.be.instanceOf(InvalidAnalyzerConfigError);
    expect(config.message).to.contain('quietSeconds').and.to.contain('thresholds.beaconing');
    expect(thrownBy(() => createAnalyzer({ unknown: 1 } as CreateAnalyzerOptions))).to.be.instanceOf(
      InvalidAnalyzerConfigError,
    );
    const analyzer = createAnalyzer();
    const body = telemetryBody({ packetsInPerSec: -1 });
    const message = thrownBy(() => analyzer.analyze(telemetryMessage(DEVICE, 0, START_MS, body)));
    expect(message).to.be.instanceOf(InvalidAnalyzerMessageError);
    expect(message.message).to.contain('body.network.packetsInPerSec');
  });

  it('applies the documented defaults', function () {
    const { config } = createAnalyzer();
    expect(config).to.deep.include({ warmupSeconds: 600, quietSeconds: 15, threshold: 6, persistenceSeconds: 3 });
    expect(config.thresholds).to.deep.equal({ 'traffic-spike': 5 });
    expect(createAnalyzer({ thresholds: { beaconing: 8 } }).config.thresholds).to.deep.equal({
      'traffic-spike': 5,
      beaconing: 8,
    });
  });
});
