import { expect } from 'chai';
import { createSimulation } from '../../agent/src/simulate/createSimulation';
import { createAnalyzer } from '../../analytics/src/createAnalyzer';
import { createNameSet, observeNames, settleNames } from '../../analytics/src/baseline/nameSet';
import { normaliseProcessName } from '../../analytics/src/baseline/snapshotNames';
import type { AlertEvent } from '../../analytics/src/engine/types';
import type { SnapshotBody } from '../../twin-core/src/messages/snapshot';
import { START_MS, telemetryBody, telemetryMessage } from './helpers';

/** A normal snapshot body of a simulated device, and that device's id. */
function normalSnapshot(): { deviceId: string; body: SnapshotBody } {
  const simulation = createSimulation({
    devices: 1,
    ratePerSecond: 1,
    snapshotIntervalSeconds: 30,
    scenario: 'normal',
    seed: 'snapshots',
    startTimeMs: START_MS,
  });
  const message = simulation.step(START_MS + 31_000).find((candidate) => candidate.kind === 'snapshot')!;
  return { deviceId: simulation.devices[0]!.deviceId, body: message.body as SnapshotBody };
}

type Network = Extract<SnapshotBody['network'], { available: true }>['value'];
type Processes = Extract<SnapshotBody['processes'], { available: true }>['value'];

function withChanges(body: SnapshotBody, change: { port?: number; process?: string }): SnapshotBody {
  const copy = structuredClone(body);
  const network = (copy.network as { value: Network }).value;
  const processes = (copy.processes as { value: Processes }).value;
  if (change.port !== undefined) network.listening.push({ protocol: 'tcp', address: '0.0.0.0', port: change.port });
  if (change.process !== undefined) processes.list.push({ ...processes.list[0]!, pid: 31_337, name: change.process });
  return copy;
}

describe('analytics: snapshot detectors', function () {
  it('flags a new listening port and an unexpected process, and closes at the first clean snapshot', function () {
    const { deviceId, body } = normalSnapshot();
    const analyzer = createAnalyzer({ warmupSeconds: 120, warmupSamples: 60 });
    const events: AlertEvent[] = [];
    analyzer.on('alert', (event) => events.push(event));
    let seq = 0;
    let clock = START_MS;
    const snapshot = (snapshotBody: SnapshotBody) =>
      analyzer.analyze({
        kind: 'snapshot',
        deviceId,
        seq: seq++,
        ts: new Date(clock).toISOString(),
        body: snapshotBody,
      });
    const seconds = (count: number) => {
      for (let index = 0; index < count; index++) {
        clock += 1000;
        analyzer.analyze(telemetryMessage(deviceId, seq++, clock, telemetryBody({}, (index % 7) / 50)));
      }
    };
    seconds(30);
    snapshot(body);
    seconds(130);
    // A renamed kernel worker is the same normalised name: not unexpected.
    const kworker = withChanges(body, { process: 'kworker/3:7-events' });
    expect(snapshot(kworker)).to.deep.equal([]);
    seconds(30);
    const opened = snapshot(withChanges(body, { port: 4444, process: '.hidden-miner' }));
    expect(opened.map((event) => [event.type, event.alert.behaviour])).to.deep.equal([
      ['open', 'new-listening-port'],
      ['open', 'unexpected-process'],
    ]);
    expect(opened[0]!.alert.evidence).to.deep.include({ names: ['tcp/4444'], saturated: false });
    expect(opened[1]!.alert.evidence.names).to.deep.equal(['.hidden-miner']);
    expect(opened[0]!.alert.score).to.equal(1);
    expect(analyzer.statusOf(deviceId, clock)).to.deep.include({ anomalous: true });
    seconds(30);
    expect(analyzer.statusOf(deviceId, clock).openAlerts).to.deep.equal(['new-listening-port', 'unexpected-process']);
    const closed = snapshot(body);
    expect(closed.map((event) => [event.type, event.alert.behaviour])).to.deep.equal([
      ['close', 'new-listening-port'],
      ['close', 'unexpected-process'],
    ]);
    expect(analyzer.statusOf(deviceId, clock)).to.deep.include({ anomalous: false, normalSinceMs: clock });
    expect(events).to.have.length(4);
  });

  it('learns the usual names of the warm-up, bounded; flags the others after; promotes a long-lived one', function () {
    const set = createNameSet(4);
    const learn = (names: string[]) =>
      observeNames(set, { names, atSeconds: 0, learning: true, promoteAfterSeconds: 100, mayPromote: true });
    expect(learn(['a', 'b'])).to.deep.equal({ unknown: [], learned: 0, saturated: false });
    learn(['a', 'b', 'x']);
    learn(['a', 'b']);
    // 'x' was in one warm-up snapshot of three (an attack during the warm-up): not learned.
    expect(settleNames(set, 2)).to.equal(2);
    const judge = (names: string[], atSeconds: number, mayPromote = true) =>
      observeNames(set, { names, atSeconds, learning: false, promoteAfterSeconds: 100, mayPromote });
    expect(judge(['a', 'x'], 5)).to.deep.include({ unknown: ['x'], learned: 2 });
    expect(judge(['a', 'c'], 10)).to.deep.include({ unknown: ['c'], learned: 2 });
    expect(judge(['a', 'c'], 60)).to.deep.include({ unknown: ['c'] });
    // Absent once: forgotten, so its clock restarts when it comes back.
    expect(judge(['a'], 70)).to.deep.include({ unknown: [] });
    expect(judge(['c'], 120)).to.deep.include({ unknown: ['c'] });
    expect(judge(['c'], 215, false)).to.deep.include({ unknown: ['c'], learned: 2 });
    expect(judge(['c'], 221)).to.deep.include({ unknown: ['c'], learned: 3 });
    expect(judge(['c'], 222)).to.deep.include({ unknown: [], learned: 3 });
    expect(judge(['d', 'e', 'f'], 230)).to.deep.include({ unknown: ['d', 'e', 'f'], saturated: true });
    expect(normaliseProcessName('kworker/0:1-events')).to.equal('kworker/#:#-events');
  });
});
