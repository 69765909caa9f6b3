import { expect } from 'chai';
import type { AbnormalBehaviour } from '../../../agent/src/simulate/behaviours';
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import {
  mean,
  simulate,
  snapshotsOf,
  split,
  telemetryOf,
  type SnapshotMessage,
  type TelemetryMessage,
} from './helpers';

/**
 * Each abnormal behaviour's documented signature, measured: the mean of the metric over the telemetry labelled with
 * the behaviour against the mean over the same devices' normal telemetry (15 minutes, 3 episodes per device).
 */
function run(scenario: AbnormalBehaviour | 'normal') {
  const { messages } = simulate({ devices: 12, scenario, seed: `signature-${scenario}` }, 900, 10);
  return { telemetry: telemetryOf(messages), snapshots: snapshotsOf(messages) };
}

const packets = (body: TelemetryBody) => body.network.packetsInPerSec + body.network.packetsOutPerSec;
const bytes = (body: TelemetryBody) => body.network.bytesInPerSec + body.network.bytesOutPerSec;

type Listening = { protocol: string; address: string; port: number };
const listeningOf = (snapshot: SnapshotMessage) =>
  (snapshot.body.network as { value: { listening: Listening[] } }).value.listening.map(
    (entry) => `${entry.protocol}/${entry.port}`,
  );
const processNamesOf = (snapshot: SnapshotMessage) =>
  (snapshot.body.processes as { value: { list: Array<{ name: string }> } }).value.list.map((process) => process.name);

/** Listening ports and process names seen in a device's snapshots in normal windows, and in its anomalous ones. */
function snapshotTraces(snapshots: SnapshotMessage[]) {
  const normalPorts = new Set(snapshots.filter((s) => !s.label.anomalous).flatMap(listeningOf));
  const normalProcesses = new Set(snapshots.filter((s) => !s.label.anomalous).flatMap(processNamesOf));
  const anomalous = snapshots.filter((s) => s.label.anomalous);
  return {
    anomalous,
    newPorts: anomalous.map((s) => listeningOf(s).filter((port) => !normalPorts.has(port))),
    newProcesses: anomalous.map((s) => processNamesOf(s).filter((name) => !normalProcesses.has(name))),
  };
}

describe('Simulator: behaviour signatures against the baseline', function () {
  it('normal: no episode, and the baseline stays in its documented ranges', function () {
    const { telemetry } = run('normal');
    expect(telemetry.every((message) => !message.label.anomalous)).to.equal(true);
    const metric = (pick: (body: TelemetryBody) => number) => mean(telemetry.map((message) => pick(message.body)));
    expect(metric((body) => body.network.interArrivalCv!)).to.be.within(0.8, 1.6);
    expect(metric((body) => body.network.payloadSizeEntropyBits!)).to.be.within(1.2, 4.2);
    expect(metric((body) => body.network.failedConnectionsPerSec)).to.be.below(0.05);
    expect(metric((body) => body.network.newConnectionsPerSec)).to.be.below(1);
    expect(metric((body) => body.network.establishedConnections)).to.be.within(2, 14);
    expect(metric((body) => body.network.protocolMix.tcp)).to.be.within(0.6, 0.85);
    expect(metric(packets)).to.be.within(3, 160);
    // Noise: the packet rate of one device varies (coefficient of variation of its samples).
    const first = telemetry.filter((message) => message.deviceIndex === 0).map((message) => packets(message.body));
    const average = mean(first);
    expect(Math.sqrt(mean(first.map((rate) => (rate - average) ** 2))) / average).to.be.within(0.1, 1);
  });

  it('traffic-spike: packet and byte rates × 5–20 during the burst', function () {
    const telemetry = run('traffic-spike').telemetry;
    const rate = split(telemetry, packets);
    expect(rate.anomalous / rate.normal).to.be.within(4, 25);
    const volume = split(telemetry, bytes);
    expect(volume.anomalous / volume.normal).to.be.within(4, 25);
  });

  it('protocol-mix: ICMP or UDP takes over and the TCP share falls below half its usual', function () {
    const telemetry = run('protocol-mix').telemetry;
    const tcp = split(telemetry, (body) => body.network.protocolMix.tcp);
    expect(tcp.anomalous).to.be.below(tcp.normal * 0.5);
    const other = split(telemetry, (body) => Math.max(body.network.protocolMix.udp, body.network.protocolMix.icmp));
    expect(other.anomalous - other.normal).to.be.above(0.3);
    const icmp = split(telemetry, (body) => body.network.protocolMix.icmp);
    expect(icmp.anomalous).to.be.above(icmp.normal * 10);
  });

  it('failed-connections: failed attempts and resets surge, sessions collapse', function () {
    const telemetry = run('failed-connections').telemetry;
    const failed = split(telemetry, (body) => body.network.failedConnectionsPerSec);
    expect(failed.anomalous).to.be.above(2);
    expect(failed.anomalous).to.be.above(failed.normal * 100);
    const resets = split(telemetry, (body) => body.network.resetsPerSec);
    expect(resets.anomalous).to.be.above(resets.normal * 20);
    const sessions = split(telemetry, (body) => body.network.meanSessionSeconds!);
    expect(sessions.anomalous).to.be.below(0.5);
    expect(sessions.normal).to.be.above(10);
  });

  it('high-entropy-payload: payload-size entropy near its maximum, odd mean payload size', function () {
    const telemetry = run('high-entropy-payload').telemetry;
    const entropy = split(telemetry, (body) => body.network.payloadSizeEntropyBits!);
    expect(entropy.anomalous).to.be.within(5.3, Math.log2(64));
    expect(entropy.normal).to.be.below(4.5);
    const payloads = telemetry
      .filter((message) => message.label.anomalous)
      .map((message) => message.body.network.meanPayloadBytes!);
    expect(Math.min(...payloads)).to.be.above(570);
    expect(Math.max(...payloads)).to.be.below(1230);
  });

  it('timing-anomaly: very irregular inter-arrival times (CV ≥ 3) and jitter × 5 or more', function () {
    const telemetry = run('timing-anomaly').telemetry;
    const cv = split(telemetry, (body) => body.network.interArrivalCv!);
    expect(cv.anomalous).to.be.above(3);
    expect(cv.normal).to.be.below(1.6);
    const jitter = split(telemetry, (body) => body.network.jitterMs!);
    expect(jitter.anomalous).to.be.above(jitter.normal * 5);
    // Bursts and silences: the packet rate varies far more than normally.
    const spread = (messages: TelemetryMessage[]) => {
      const rates = messages.map((message) => packets(message.body));
      const average = mean(rates);
      return Math.sqrt(mean(rates.map((rate) => (rate - average) ** 2))) / average;
    };
    const device = telemetry.filter((message) => message.deviceIndex === 3);
    expect(spread(device.filter((message) => message.label.anomalous))).to.be.above(
      2 * spread(device.filter((message) => !message.label.anomalous)),
    );
  });

  it('connection-flood: new and established connections explode; a new listening port and process appear', function () {
    const { telemetry, snapshots } = run('connection-flood');
    const opened = split(telemetry, (body) => body.network.newConnectionsPerSec);
    expect(opened.anomalous).to.be.above(40);
    expect(opened.normal).to.be.below(1);
    const established = split(telemetry, (body) => body.network.establishedConnections);
    expect(established.anomalous).to.be.above(300);
    expect(established.normal).to.be.below(15);
    for (let device = 0; device < 12; device++) {
      const traces = snapshotTraces(snapshots.filter((snapshot) => snapshot.deviceIndex === device));
      for (const [index, snapshot] of traces.anomalous.entries()) {
        expect(traces.newPorts[index]!.length, `device ${device} at ${snapshot.atMs}`).to.equal(1);
        expect(traces.newPorts[index]![0]).to.match(/^tcp\//);
        expect(traces.newProcesses[index]).to.deep.equal(['.mdm-proxy']);
        const counts = (
          snapshot.body.network as { value: { counts: { tcpEstablished: number }; socketsTruncated: boolean } }
        ).value;
        expect(counts.counts.tcpEstablished).to.be.above(250);
        expect(counts.socketsTruncated).to.equal(true);
      }
    }
    expect(snapshots.filter((snapshot) => snapshot.label.anomalous).length).to.be.above(10);
  });

  it('beaconing: a fixed period (CV near 0) with small constant payloads; an unexpected process and UDP port appear', function () {
    const { telemetry, snapshots } = run('beaconing');
    const cv = split(telemetry, (body) => body.network.interArrivalCv!);
    expect(cv.anomalous).to.be.below(0.05);
    expect(cv.normal).to.be.above(0.8);
    const entropy = split(telemetry, (body) => body.network.payloadSizeEntropyBits!);
    expect(entropy.anomalous).to.be.below(0.3);
    // Within one episode of one device, the period and the payload hold still.
    const device = telemetry.filter((message) => message.deviceIndex === 5);
    const firstEpisode: TelemetryMessage[] = [];
    for (const message of device.slice(device.findIndex((m) => m.label.anomalous))) {
      if (!message.label.anomalous) break;
      firstEpisode.push(message);
    }
    expect(firstEpisode.length).to.be.above(25);
    const periods = firstEpisode.map((message) => message.body.network.meanInterArrivalMs!);
    expect(Math.max(...periods) / Math.min(...periods)).to.be.below(1.02);
    expect(new Set(firstEpisode.map((message) => message.body.network.meanPayloadBytes)).size).to.equal(1);
    expect(firstEpisode[0]!.body.network.meanPayloadBytes).to.be.within(64, 160);
    for (let index = 0; index < 12; index++) {
      const traces = snapshotTraces(snapshots.filter((snapshot) => snapshot.deviceIndex === index));
      for (const [position] of traces.anomalous.entries()) {
        expect(traces.newProcesses[position]).to.deep.equal(['sysupdate']);
        expect(traces.newPorts[position]!.length).to.equal(1);
        expect(traces.newPorts[position]![0]).to.match(/^udp\//);
      }
    }
    expect(snapshots.filter((snapshot) => snapshot.label.anomalous).length).to.be.above(10);
  });
});
