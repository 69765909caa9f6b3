import { expect } from 'chai';
import { runScenario } from './helpers';

describe('analytics: the baseline', function () {
  this.timeout(60_000);

  it('does not learn a long attack as normal: a 20-minute traffic spike stays flagged throughout', function () {
    // Episodes as long as their slots: from the end of the commissioning on, the devices never behave normally.
    const { events, analyzer, fleet, recording } = runScenario({
      scenario: 'traffic-spike',
      seed: 'long-attack',
      devices: 3,
      minutes: 20,
      episodes: { periodSeconds: 1800, minSeconds: 1800, maxSeconds: 1800 },
    });
    expect(recording.episodes.every((episode) => episode.startMs <= fleet.evaluationFromMs + 1000)).to.equal(true);
    const spikes = events.filter((event) => event.alert.behaviour === 'traffic-spike');
    const deviceIds = [...new Set(recording.episodes.map((episode) => episode.deviceId))];
    expect(deviceIds).to.have.length(3);
    for (const deviceId of deviceIds) {
      const own = spikes.filter((event) => event.alert.deviceId === deviceId);
      expect(
        own.filter((event) => event.type === 'open'),
        deviceId,
      ).to.have.length(1);
      expect(
        own.filter((event) => event.type === 'close'),
        deviceId,
      ).to.have.length(0);
      const opened = own[0]!.alert;
      const latest = own[own.length - 1]!.alert;
      expect(latest.window.to).to.be.greaterThan(fleet.evaluationToMs - 30_000);
      // The learned packet rate has not moved toward the attack: frozen while flagged.
      const before = opened.evidence.features!.find((feature) => feature.feature === 'packetsInPerSec')!;
      const after = latest.evidence.features!.find((feature) => feature.feature === 'packetsInPerSec')!;
      expect(after.baseline / before.baseline).to.be.within(0.8, 1.25);
      expect(after.observed / after.baseline).to.be.greaterThan(3);
      const status = analyzer.statusOf(deviceId, fleet.evaluationToMs);
      expect(status).to.include({ known: true, warmedUp: true, anomalous: true, normalSinceMs: null });
      expect(status.openAlerts).to.include('traffic-spike');
    }
  });

  it('respects the warm-up: an attack from the first message is not judged before warmupSeconds', function () {
    const { events, analyzer, recording } = runScenario({
      scenario: 'connection-flood',
      seed: 'warm-up',
      devices: 3,
      commissionMinutes: 0,
      minutes: 6,
      analyzer: { warmupSeconds: 240, warmupSamples: 60 },
    });
    const deviceIds = [...new Set(recording.episodes.map((episode) => episode.deviceId))];
    expect(deviceIds.length).to.be.greaterThan(0);
    const firstMs = Math.min(...recording.episodes.map((episode) => episode.startMs));
    for (const event of events) expect(event.alert.openedAtMs - firstMs).to.be.at.least(240_000 - 1000);
    const status = analyzer.statusOf(deviceIds[0]!, firstMs + 60_000);
    expect(status.known).to.equal(true);
  });

  it('reports warmedUp false and no normalSinceMs before the warm-up ends', function () {
    const { analyzer, fleet, recording } = runScenario({
      scenario: 'normal',
      seed: 'warm-up-status',
      devices: 2,
      commissionMinutes: 0,
      minutes: 3,
      analyzer: { warmupSeconds: 600 },
    });
    expect(recording.normalDevices).to.have.length(2);
    for (const deviceId of recording.normalDevices) {
      expect(analyzer.statusOf(deviceId, fleet.evaluationToMs)).to.deep.include({
        known: true,
        warmedUp: false,
        anomalous: false,
        normalSinceMs: null,
      });
    }
  });
});
