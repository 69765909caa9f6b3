import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ethers } from 'ethers';
import { loadAgentConfig } from '../../agent/src/config';
import { runSimulator } from '../../agent/src/runSimulator';
import { deviceMessageSchema } from '../../twin-core/src/messages/envelope';
import { hashDeviceMessage } from '../../twin-core/src/signing/messageSignature';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';

const ROOT = resolve(__dirname, '..', '..');

describe('The simulator publishing to a real broker (aedes)', function () {
  this.timeout(120_000);
  let broker: AedesBroker;
  let directory: string;
  before(async () => {
    broker = await startAedes();
    directory = mkdtempSync(join(tmpdir(), 'simulator-'));
  });
  after(async () => {
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('publishes every virtual device: static document, online status, labelled telemetry and snapshots, all signed', async function () {
    const config = loadAgentConfig({
      environment: { TWIN_AGENT_MQTT_URL: broker.url, TWIN_AGENT_DATA_DIR: directory },
    });
    const simulator = await runSimulator({
      config,
      devices: 40,
      ratePerSecond: 4,
      scenario: 'mixed',
      seed: 11,
      snapshotIntervalSeconds: 1,
      durationSeconds: 2.5,
    });
    await simulator.finished;
    await simulator.signed(30_000);
    await simulator.publisher.drain(20_000);
    await simulator.stop();

    const messages = broker.received.map((packet) => deviceMessageSchema.parse(JSON.parse(packet.payload)));
    const byDevice = new Map<string, typeof messages>();
    for (const message of messages)
      byDevice.set(message.deviceId, [...(byDevice.get(message.deviceId) ?? []), message]);
    expect([...byDevice.keys()].sort()).to.deep.equal([...simulator.deviceIds].sort());
    expect(simulator.produced.telemetry).to.be.greaterThan(40 * 4);
    expect(simulator.produced.snapshot).to.be.greaterThanOrEqual(40);

    const signers = new Map<string, string>();
    for (const message of messages) {
      const signer = ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(message)), message.sig);
      expect(signers.get(message.deviceId) ?? signer).to.equal(signer);
      signers.set(message.deviceId, signer);
      if (message.kind === 'telemetry' || message.kind === 'snapshot')
        expect(message.body.label?.scenario).to.equal('mixed');
      if (message.kind === 'static')
        expect(formatDeviceId(computeDeviceId(message.body.identity))).to.equal(message.deviceId);
    }
    expect(new Set(signers.values()).size).to.equal(40);
    for (const list of byDevice.values()) {
      const seqs = list.filter((message) => message.kind !== 'status').map((message) => message.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    }
    await waitUntil(
      () => broker.received.some((packet) => packet.payload.includes('"shutdown"')),
      5_000,
      'offline statuses',
    );
  });

  it('runs from the CLI for a set duration and exits 0', async function () {
    // Asynchronous spawn: the broker runs in this process and must keep serving while the CLI runs.
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js'),
        'simulate',
        '--devices',
        '5',
        '--rate',
        '2',
        '--profile',
        'beaconing',
        '--seed',
        '3',
        '--duration',
        '1',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          TWIN_AGENT_MQTT_URL: broker.url,
          TWIN_AGENT_DATA_DIR: join(directory, 'cli'),
          TWIN_AGENT_LOG_LEVEL: 'warn',
        },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).to.equal(0);
    expect(broker.received.some((packet) => packet.payload.includes('"scenario":"beaconing"'))).to.equal(true);
  });
});
