import { expect } from 'chai';
import { ABNORMAL_BEHAVIOURS } from '../../agent/src/simulate/behaviours';
import { TELEMETRY_DETECTORS } from '../../analytics/src/detect/detectors';
import { runScenario } from './helpers';

const telemetryNames = new Set<string>(TELEMETRY_DETECTORS.map((detector) => detector.name));

describe('analytics: each detector on the simulator', function () {
  this.timeout(60_000);

  for (const behaviour of ABNORMAL_BEHAVIOURS) {
    it(`${behaviour}: every episode raises an alert naming it, and no other behaviour is named`, function () {
      const { events, recording, fleet } = runScenario({ scenario: behaviour, devices: 4, minutes: 8 });
      const opened = events.filter((event) => event.type === 'open').map((event) => event.alert);
      const episodes = recording.episodes.filter((episode) => episode.startMs <= fleet.evaluationToMs - 30_000);
      expect(episodes.length).to.be.greaterThanOrEqual(4);
      for (const episode of episodes) {
        expect(episode.behaviour).to.equal(behaviour);
        const detected = opened.some(
          (alert) =>
            alert.deviceId === episode.deviceId &&
            alert.behaviour === behaviour &&
            alert.openedAtMs >= episode.startMs &&
            alert.openedAtMs <= episode.endMs + 10_000,
        );
        expect(detected, `episode on ${episode.deviceId.slice(0, 10)} at ${episode.startMs}`).to.equal(true);
      }
      const named = new Set(opened.map((alert) => alert.behaviour).filter((name) => telemetryNames.has(name)));
      expect([...named]).to.deep.equal([behaviour]);
      // Evidence: the detector's statistic crossed its threshold and names the metrics against the baseline.
      const first = opened.find((alert) => alert.behaviour === behaviour)!;
      expect(first.evidence.statistic).to.be.at.least(first.evidence.threshold!);
      expect(first.evidence.features!.length).to.be.greaterThan(0);
      for (const feature of first.evidence.features!) {
        expect(feature.observed).to.be.a('number');
        expect(feature.baseline).to.be.a('number');
      }
      expect(first.window.from).to.be.at.most(first.openedAtMs);
      expect(first.firstSeq).to.be.at.most(first.lastSeq);
    });
  }

  it('normal: twenty minutes of baseline traffic on eight devices raise no alert', function () {
    const { events, analyzer } = runScenario({ scenario: 'normal', seed: 'quiet-fleet', devices: 8, minutes: 20 });
    expect(events).to.deep.equal([]);
    expect(analyzer.stats().openAlerts).to.equal(0);
  });
});
