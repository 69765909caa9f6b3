import { expect } from 'chai';
import { ABNORMAL_BEHAVIOURS, DEFAULT_EPISODE_CONFIG } from '../../../agent/src/simulate/behaviours';
import { createSimulation } from '../../../agent/src/simulate/createSimulation';
import { options, simulate, snapshotsOf, START_MS, telemetryOf, type TelemetryMessage } from './helpers';

type Run = { deviceIndex: number; behaviour: string; startMs: number; endMs: number; messages: number };

/** Consecutive telemetry of one device with the same label, as runs (the first and last may be cut by the window). */
function runsOf(telemetry: TelemetryMessage[]): Run[] {
  const runs: Run[] = [];
  const last = new Map<number, Run>();
  for (const message of telemetry) {
    const current = last.get(message.deviceIndex);
    if (current !== undefined && current.behaviour === message.label.behaviour) {
      current.endMs = message.atMs;
      current.messages++;
      continue;
    }
    const run = {
      deviceIndex: message.deviceIndex,
      behaviour: message.label.behaviour,
      startMs: message.atMs,
      endMs: message.atMs,
      messages: 1,
    };
    runs.push(run);
    last.set(message.deviceIndex, run);
  }
  return runs;
}

describe('Simulator: ground-truth labels follow the episodes', function () {
  it('single behaviour: every device has one 30–120 s episode of it per 5-minute slot, normal in between', function () {
    const { messages } = simulate({ devices: 20, scenario: 'beaconing' }, 1_500, 30);
    const telemetry = telemetryOf(messages);
    const runs = runsOf(telemetry);
    expect(new Set(runs.map((run) => run.behaviour))).to.deep.equal(new Set(['normal', 'beaconing']));
    const episodes = runs.filter((run) => run.behaviour === 'beaconing');
    // Whole episodes (not cut by the window's edges) last 30–120 s: at 1 message/s, 30–120 messages.
    const whole = episodes.filter((run) => run.startMs > START_MS + 1_000 && run.endMs < START_MS + 1_499_000);
    expect(whole.length).to.be.above(60);
    for (const run of whole) expect(run.messages, `device ${run.deviceIndex} at ${run.startMs}`).to.be.within(29, 121);
    for (let device = 0; device < 20; device++) {
      const count = episodes.filter((run) => run.deviceIndex === device).length;
      expect(count, `device ${device}`).to.be.within(4, 6);
    }
    // Normal gaps between two episodes of a device: what the rest of the slot leaves.
    for (const run of runs.filter(
      (run) => run.behaviour === 'normal' && run.startMs > START_MS + 1_000 && run.endMs < START_MS + 1_499_000,
    )) {
      expect(run.messages).to.be.within(1, 2 * 300 - 30);
    }
  });

  it('mixed: about 10 % of the devices have episodes of random behaviours, each episode one behaviour', function () {
    const simulation = createSimulation(options({ devices: 200, scenario: 'mixed' }));
    const telemetry: TelemetryMessage[] = [];
    for (let at = 0; at <= 1_200; at += 60) {
      for (const message of simulation.step(START_MS + at * 1000))
        if (message.kind === 'telemetry') telemetry.push(message);
    }
    const affected = new Set(
      telemetry.filter((message) => message.label.anomalous).map((message) => message.deviceIndex),
    );
    expect(affected.size).to.equal(20);
    const episodes = runsOf(telemetry).filter((run) => run.behaviour !== 'normal');
    expect(new Set(episodes.map((run) => run.behaviour))).to.deep.equal(new Set(ABNORMAL_BEHAVIOURS));
    for (const run of episodes.filter((run) => run.startMs > START_MS + 1_000 && run.endMs < START_MS + 1_199_000)) {
      expect(run.messages).to.be.within(29, 121);
    }
    // A device that takes part does not keep one behaviour: its episodes draw behaviours at random.
    const perDevice = [...affected].map(
      (device) => new Set(episodes.filter((run) => run.deviceIndex === device).map((run) => run.behaviour)).size,
    );
    expect(Math.max(...perDevice)).to.be.above(1);
  });

  it('labels agree with the schedule, for telemetry and snapshots alike', function () {
    const { simulation, messages } = simulate(
      { devices: 30, scenario: 'mixed', episodes: { deviceFraction: 0.5 } },
      900,
      45,
    );
    let anomalous = 0;
    for (const message of messages) {
      const episode = simulation.episodeAt(message.deviceIndex, message.atMs);
      const expected = episode === undefined ? 'normal' : episode.behaviour;
      if (message.label.behaviour !== expected)
        expect.fail(
          `${message.kind} of ${message.deviceIndex} at ${message.atMs}: ${message.label.behaviour} ≠ ${expected}`,
        );
      if (episode !== undefined) {
        expect(message.atMs).to.be.within(episode.startMs, episode.endMs - 1);
        anomalous++;
      }
    }
    expect(anomalous).to.be.above(1_000);
    // A snapshot taken during an episode is labelled like the telemetry around it.
    const snapshots = snapshotsOf(messages).filter((snapshot) => snapshot.label.anomalous);
    expect(snapshots.length).to.be.above(20);
    const telemetry = telemetryOf(messages);
    for (const snapshot of snapshots) {
      const neighbour = telemetry.find(
        (message) =>
          message.deviceIndex === snapshot.deviceIndex &&
          Math.abs(message.atMs - snapshot.atMs) < 1000 &&
          simulation.episodeAt(message.deviceIndex, message.atMs) !== undefined,
      );
      if (neighbour !== undefined) expect(neighbour.label).to.deep.equal(snapshot.label);
    }
  });

  it('the episode layout is configurable and checked', function () {
    const { messages } = simulate(
      { devices: 5, scenario: 'traffic-spike', episodes: { periodSeconds: 60, minSeconds: 10, maxSeconds: 20 } },
      600,
      60,
    );
    const runs = runsOf(telemetryOf(messages)).filter(
      (run) => run.behaviour !== 'normal' && run.startMs > START_MS + 1_000 && run.endMs < START_MS + 599_000,
    );
    expect(runs.length).to.be.above(35);
    for (const run of runs) expect(run.messages).to.be.within(9, 21);
    expect(() => createSimulation(options({ episodes: { minSeconds: 50, maxSeconds: 20 } }))).to.throw(RangeError);
    expect(() => createSimulation(options({ episodes: { maxSeconds: 400 } }))).to.throw(RangeError);
    expect(() => createSimulation(options({ episodes: { deviceFraction: 1.5 } }))).to.throw(RangeError);
    expect(() => createSimulation(options({ scenario: 'port-scan' as never }))).to.throw(
      RangeError,
      'unknown scenario',
    );
    expect(DEFAULT_EPISODE_CONFIG).to.deep.equal({
      periodSeconds: 300,
      minSeconds: 30,
      maxSeconds: 120,
      deviceFraction: 0.1,
      notBeforeSeconds: 0,
    });
    expect(() => createSimulation(options({ episodes: { notBeforeSeconds: -1 } }))).to.throw(RangeError);
  });

  it('notBeforeSeconds keeps every device normal at first (a warm-up), then the episodes run as scheduled', function () {
    const layout = { periodSeconds: 60, minSeconds: 10, maxSeconds: 20 };
    const early = runsOf(
      telemetryOf(simulate({ devices: 10, scenario: 'traffic-spike', episodes: layout }, 300, 60).messages),
    );
    const late = runsOf(
      telemetryOf(
        simulate({ devices: 10, scenario: 'traffic-spike', episodes: { ...layout, notBeforeSeconds: 120 } }, 300, 60)
          .messages,
      ),
    );
    const abnormal = (runs: Run[]) => runs.filter((run) => run.behaviour !== 'normal');
    // Without it some episode runs in the first two minutes; with it none starts before, and later ones are unchanged.
    expect(abnormal(early).some((run) => run.startMs < START_MS + 120_000)).to.equal(true);
    expect(abnormal(late).every((run) => run.startMs >= START_MS + 120_000)).to.equal(true);
    const after = (runs: Run[]) =>
      abnormal(runs)
        .filter((run) => run.startMs >= START_MS + 121_000)
        .map((run) => `${run.deviceIndex}@${run.startMs}`);
    expect(after(late)).to.deep.equal(after(early)).and.to.have.length.above(10);
  });
});
