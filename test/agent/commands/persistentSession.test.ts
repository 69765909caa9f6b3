import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { loadAgentConfig } from '../../../agent/src/config';
import { runAgent, type RunningAgent } from '../../../agent/src/runAgent';
import { createOracleSigner } from '../../../oracle/src/publish/oracleSigner';
import { commandReplySchema, type CommandReply } from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { generatePrivateKey, privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';
import { hashCommand, signCommand } from '../../../twin-core/src/signing/commandSignature';
import { startAedes, waitUntil, type AedesBroker } from '../../helpers/brokers';

describe('A device away from the broker: its persistent session keeps the commands sent meanwhile (real aedes broker)', function () {
  this.timeout(60_000);
  const oracleKey = generatePrivateKey();
  const ownerKey = generatePrivateKey();
  const domain = { chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
  let broker: AedesBroker;
  let client: MqttClient;
  const replies: CommandReply[] = [];
  const directories: string[] = [];

  before(async () => {
    broker = await startAedes();
    client = connect(broker.url);
    await new Promise((resolve) => client.once('connect', resolve));
    await client.subscribeAsync('twins/+/reply', { qos: 1 });
    client.on('message', (_topic, payload) => replies.push(commandReplySchema.parse(JSON.parse(payload.toString()))));
  });
  after(async () => {
    await client?.endAsync();
    await broker.stop();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /** Starts an agent of its own data directory (`sessionHours` as TWIN_AGENT_MQTT_SESSION_HOURS) that knows its owner. */
  async function agentWith(directory: string, sessionHours: string, serial: string): Promise<RunningAgent> {
    const agent = await runAgent({
      config: {
        ...loadAgentConfig({
          environment: {
            TWIN_AGENT_MQTT_URL: broker.url,
            TWIN_AGENT_DATA_DIR: directory,
            TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '3600',
            TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '86400',
            TWIN_AGENT_ORACLE_ADDRESSES: privateKeyToAddress(oracleKey),
            TWIN_AGENT_MQTT_SESSION_HOURS: sessionHours,
          },
          file: undefined,
        }),
        identity: { serialNumber: serial, manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' },
      },
    });
    const record = createOracleSigner(oracleKey).twinRecord(agent.deviceId, {
      owner: privateKeyToAddress(ownerKey),
      state: 'active',
      deviceSigner: agent.signer,
      manufacturer: privateKeyToAddress(generatePrivateKey()),
      chainId: domain.chainId,
      registry: domain.registry,
      block: 1,
    });
    await client.publishAsync(deviceTopic(agent.deviceId, 'twin'), JSON.stringify(record), { qos: 1, retain: true });
    return agent;
  }

  /** Stops `agent`, has the owner send set-intervals while it is away, starts it again: whether it obeyed. */
  async function commandWhileAway(
    sessionHours: string,
    serial: string,
  ): Promise<{ obeyed: boolean; agent: RunningAgent }> {
    const directory = mkdtempSync(join(tmpdir(), 'persistent-session-'));
    directories.push(directory);
    let agent = await agentWith(directory, sessionHours, serial);
    await waitUntil(
      () => broker.received.some((packet) => packet.topic === deviceTopic(agent.deviceId, 'status')),
      5_000,
      'online',
    );
    await agent.stop();
    const signed = signCommand(
      {
        v: 1,
        kind: 'command',
        deviceId: agent.deviceId,
        command: 'set-intervals',
        args: { snapshotSeconds: 120 },
        nonce: '7',
        expiry: Math.floor(Date.now() / 1000) + 300,
      },
      ownerKey,
      domain,
    );
    await client.publishAsync(deviceTopic(agent.deviceId, 'command'), JSON.stringify(signed), { qos: 1 });
    agent = await agentWith(directory, sessionHours, serial);
    const commandId = hashCommand(signed, domain);
    const obeyed = await waitUntil(
      () => replies.some((reply) => reply.body.commandId === commandId && reply.body.status === 'succeeded'),
      3_000,
      'the answer',
    ).then(
      () => true,
      () => false,
    );
    await agent.stop();
    return { obeyed, agent };
  }

  it('with TWIN_AGENT_MQTT_SESSION_HOURS, a command sent while the device was away is delivered and obeyed when it is back', async function () {
    const { obeyed, agent } = await commandWhileAway('1', 'session-1');
    expect(obeyed).to.equal(true);
    expect(agent.intervals.snapshotSeconds).to.equal(120);
  });

  it('with a clean session (the default), the same command is lost', async function () {
    const { obeyed, agent } = await commandWhileAway('0', 'session-2');
    expect(obeyed).to.equal(false);
    expect(agent.intervals.snapshotSeconds).to.equal(86_400);
  });
});
