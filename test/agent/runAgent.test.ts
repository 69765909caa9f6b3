import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { ethers } from 'ethers';
import { loadAgentConfig } from '../../agent/src/config';
import { runAgent, type RunningAgent } from '../../agent/src/runAgent';
import { deviceMessageSchema, type DeviceMessage } from '../../twin-core/src/messages/envelope';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { hashDeviceMessage } from '../../twin-core/src/signing/messageSignature';
import { startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';

describe('The agent loop against a real broker (aedes)', function () {
  this.timeout(60_000);
  let broker: AedesBroker;
  let directory: string;
  let agent: RunningAgent | undefined;
  const messages = () =>
    broker.received
      .filter((packet) => packet.topic.startsWith('twins/') && !/\/(command|reply|twin)$/.test(packet.topic))
      .map((packet) => ({
        topic: packet.topic,
        retain: packet.retain,
        message: deviceMessageSchema.parse(JSON.parse(packet.payload)),
      }));
  const ofKind = (kind: DeviceMessage['kind']) => messages().filter((entry) => entry.message.kind === kind);
  /** The state of a status message (undefined for other kinds). */
  const stateOf = (message: DeviceMessage) => (message.kind === 'status' ? message.body.state : undefined);

  before(async () => {
    broker = await startAedes();
    directory = mkdtempSync(join(tmpdir(), 'agent-loop-'));
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  function config(dataDir = directory) {
    return loadAgentConfig({
      environment: {
        TWIN_AGENT_MQTT_URL: broker.url,
        TWIN_AGENT_DATA_DIR: dataDir,
        TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '0.2',
        TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '2',
        TWIN_AGENT_OWNER_ID: 'owner-42',
      },
      file: undefined,
    });
  }

  it('publishes the static document, the online status, telemetry and snapshots, each signed by the device key', async function () {
    const base = config();
    agent = await runAgent({
      config: {
        ...base,
        identity: { serialNumber: 'loop-1', manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' },
      },
    });
    await waitUntil(
      () => ofKind('snapshot').length >= 1 && ofKind('telemetry').length >= 3,
      20_000,
      'a snapshot and telemetry',
    );

    const all = messages();
    for (const { topic, message } of all) {
      expect(topic).to.equal(deviceTopic(agent.deviceId, message.kind));
      expect(message.deviceId).to.equal(agent.deviceId);
      expect(ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(message)), message.sig)).to.equal(agent.signer);
    }
    const seqs = all.map(({ message }) => message.seq).filter((seq, index, list) => list.indexOf(seq) === index);
    const nonStatus = all.filter(({ message }) => message.kind !== 'status').map(({ message }) => message.seq);
    expect(nonStatus).to.deep.equal([...nonStatus].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);

    const [staticEntry] = ofKind('static');
    expect(staticEntry!.retain).to.equal(true);
    const [online] = ofKind('status');
    expect(online!.retain).to.equal(true);
    expect(online!.message.body).to.include({ state: 'online' });
    const snapshot = ofKind('snapshot')[0]!.message;
    expect(snapshot.kind === 'snapshot' && snapshot.body.owner.ownerId).to.equal('owner-42');
  });

  it('announces a signed offline last will and, on a clean stop, a shutdown status', async function () {
    const online = ofKind('status').find(({ message }) => stateOf(message) === 'online')!.message;
    const willSeq = online.kind === 'status' && online.body.state === 'online' ? online.body.willSeq : null;
    expect(willSeq).to.be.a('number');
    expect(willSeq).to.be.lessThan(online.seq);
    await agent!.stop();
    agent = undefined;
    await waitUntil(
      () => ofKind('status').some(({ message }) => stateOf(message) === 'offline'),
      5_000,
      'the offline status',
    );
    const offline = ofKind('status').find(({ message }) => stateOf(message) === 'offline')!;
    expect(offline.message.body).to.deep.equal({ state: 'offline', reason: 'shutdown' });
    expect(offline.retain).to.equal(true);
  });

  it('has the broker publish the will when the connection drops', async function () {
    const base = config(join(directory, 'second-device'));
    agent = await runAgent({
      config: {
        ...base,
        identity: { serialNumber: 'loop-2', manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' },
      },
    });
    await waitUntil(
      () => messages().some(({ message }) => message.deviceId === agent!.deviceId && message.kind === 'status'),
      10_000,
      'online',
    );
    const online = messages().find(
      ({ message }) => message.deviceId === agent!.deviceId && message.kind === 'status',
    )!.message;
    // Kill the TCP connection under the client, as a power cut would.
    (agent.publisher as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await waitUntil(
      () =>
        messages().some(
          ({ message }) =>
            message.deviceId === agent!.deviceId &&
            message.body &&
            (message.body as { reason?: string }).reason === 'connection-lost',
        ),
      10_000,
      'the last will',
    );
    const will = messages().find(
      ({ message }) => (message.body as { reason?: string }).reason === 'connection-lost',
    )!.message;
    expect(online.kind === 'status' && online.body.state === 'online' && online.body.willSeq).to.equal(will.seq);
    expect(ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(will)), will.sig)).to.equal(agent.signer);
  });
});

describe('The static document the agent publishes', function () {
  it('is collected once and kept, so its hash stays the one recorded at mint', async function () {
    const { readDeviceIdentity, staticDocumentFile } = await import('../../agent/src/runAgent');
    const { hashStaticDocument } = await import('../../twin-core/src/static/staticDocument');
    const directory = mkdtempSync(join(tmpdir(), 'agent-static-'));
    try {
      const identity = { serialNumber: 'keep-1', manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' };
      const config = { ...loadAgentConfig({ environment: { TWIN_AGENT_DATA_DIR: directory } }), identity };
      const first = await readDeviceIdentity(config, {});
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await readDeviceIdentity(config, {});
      expect(second.staticDocument.collectedAt).to.equal(first.staticDocument.collectedAt);
      expect(hashStaticDocument(second.staticDocument)).to.equal(hashStaticDocument(first.staticDocument));
      expect(second.identityDrift).to.equal(undefined);
      // The device now reads another serial number: the kept document still wins, and the drift is reported.
      const drifted = await readDeviceIdentity({ ...config, identity: { ...identity, serialNumber: 'keep-2' } }, {});
      expect(drifted.deviceId).to.equal(first.deviceId);
      expect(drifted.identityDrift).to.be.a('string').and.not.equal(first.deviceId);
      expect(staticDocumentFile(config)).to.equal(join(directory, 'static-document.json'));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
