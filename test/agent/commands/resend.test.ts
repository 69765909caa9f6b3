import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { loadAgentConfig, runAgent, type RunningAgent } from '../../../agent/src';
import { createOracleSigner } from '../../../oracle/src/publish/oracleSigner';
import { commandReplySchema, type CommandReply } from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { generatePrivateKey, privateKeyToAddress, type PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { hashCommand, signCommand } from '../../../twin-core/src/signing/commandSignature';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../../helpers/brokers';

// The owner's resend command on a real agent and a real broker: what the device published is published again,
// byte for byte (so the oracle accepts each message once, into the gap it left), and nothing for anyone else.
describe('resend: a device publishes again what the oracle lost (Mosquitto, a real agent)', function () {
  this.timeout(90_000);
  let broker: MosquittoBroker | undefined;
  let agent: RunningAgent | undefined;
  let client: MqttClient | undefined;
  let directory: string;
  const oracleKey = generatePrivateKey();
  const ownerKey = generatePrivateKey();
  const domain = { chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
  /** Every snapshot and telemetry message seen, by topic kind, in arrival order. */
  const seen: { kind: string; seq: number; payload: string }[] = [];
  const replies: CommandReply[] = [];
  let nonce = 0;

  const command = async (name: string, args: Record<string, unknown>, key: PrivateKey = ownerKey) => {
    const signed = signCommand(
      {
        v: 1,
        kind: 'command',
        deviceId: agent!.deviceId,
        command: name as 'resend',
        args,
        nonce: String(++nonce),
        expiry: Math.floor(Date.now() / 1000) + 60,
      },
      key,
      domain,
    );
    await client!.publishAsync(deviceTopic(agent!.deviceId, 'command'), JSON.stringify(signed), { qos: 1 });
    return hashCommand(signed, domain);
  };
  const answer = async (commandId: string) => {
    await waitUntil(
      () => replies.some((r) => r.body.commandId === commandId && r.body.status !== 'delivered'),
      15_000,
      `the answer to ${commandId}`,
    );
    return replies.find((r) => r.body.commandId === commandId && r.body.status !== 'delivered')!.body;
  };

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    broker = await startMosquitto();
    directory = mkdtempSync(join(tmpdir(), 'resend-'));
    agent = await runAgent({
      config: {
        ...loadAgentConfig({
          environment: {
            TWIN_AGENT_MQTT_URL: broker.url,
            TWIN_AGENT_DATA_DIR: directory,
            TWIN_AGENT_ORACLE_ADDRESSES: privateKeyToAddress(oracleKey),
            TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '0.5',
            TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '3600',
          },
          file: undefined,
        }),
        identity: { serialNumber: 'resend-1', manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' },
      },
    });
    client = connect(broker.url);
    await new Promise((resolve) => client!.once('connect', resolve));
    client.on('message', (topic, payload) => {
      const kind = topic.split('/')[2]!;
      if (kind === 'reply') replies.push(commandReplySchema.parse(JSON.parse(payload.toString())));
      else if (kind === 'snapshot' || kind === 'telemetry' || kind === 'static')
        seen.push({ kind, seq: (JSON.parse(payload.toString()) as { seq: number }).seq, payload: payload.toString() });
    });
    await client.subscribeAsync(`twins/${agent.deviceId}/#`, { qos: 1 });
    const record = createOracleSigner(oracleKey).twinRecord(agent.deviceId, {
      owner: privateKeyToAddress(ownerKey),
      state: 'active',
      deviceSigner: agent.signer,
      manufacturer: agent.signer,
      chainId: domain.chainId,
      registry: domain.registry,
      block: 1,
    });
    await client.publishAsync(deviceTopic(agent.deviceId, 'twin'), JSON.stringify(record), { qos: 1, retain: true });
    await agent.snapshotNow();
    await waitUntil(() => seen.filter((m) => m.kind === 'telemetry').length >= 6, 20_000, 'six telemetry messages');
  });
  after(async () => {
    await client?.endAsync();
    await agent?.stop().catch(() => undefined);
    await broker?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('publishes the range again, the same signed bytes in order, and says what it holds', async function () {
    const first = [...seen];
    const snapshot = first.find((m) => m.kind === 'snapshot')!;
    const telemetry = first.filter((m) => m.kind === 'telemetry');
    const from = Math.min(snapshot.seq, telemetry[1]!.seq);
    const to = telemetry[4]!.seq;
    const expected = first.filter((m) => m.seq >= from && m.seq <= to).sort((a, b) => a.seq - b.seq);
    const mark = seen.length;
    const body = await answer(await command('resend', { fromSeq: from, toSeq: to }));
    expect(body.status).to.equal('succeeded');
    if (body.status !== 'succeeded') return;
    expect(body.result.resent).to.equal(expected.length);
    expect(body.result.heldFrom).to.be.a('number').at.most(from);
    expect(body.result.heldTo).to.be.a('number').at.least(to);
    await waitUntil(
      () => expected.every((m) => seen.slice(mark).some((again) => again.payload === m.payload)),
      10_000,
      'the range published again',
    );
    const again = seen.slice(mark).filter((m) => m.seq >= from && m.seq <= to);
    expect(again.map((m) => m.payload)).to.deep.equal(expected.map((m) => m.payload));
  });

  it('answers a range it no longer holds with nothing resent', async function () {
    const body = await answer(await command('resend', { fromSeq: 1_000_000, toSeq: 1_000_010 }));
    expect(body).to.deep.include({ status: 'succeeded' });
    if (body.status === 'succeeded') expect(body.result.resent).to.equal(0);
  });

  it('refuses a reversed range, naming the field, and resends nothing', async function () {
    const mark = seen.length;
    const body = await answer(await command('resend', { fromSeq: 9, toSeq: 3 }));
    expect(body.status).to.equal('failed');
    if (body.status === 'failed') expect(body.error.message).to.match(/args\.toSeq: toSeq must be at least fromSeq/);
    const newest = Math.max(...seen.slice(0, mark).map((m) => m.seq));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(seen.slice(mark).filter((m) => m.seq <= newest)).to.deep.equal([]);
  });

  it("obeys no one but the owner: a stranger's resend republishes nothing", async function () {
    const mark = seen.length;
    const before = agent!.counters.commandsRejected['not-owner'] ?? 0;
    await command('resend', { fromSeq: 0, toSeq: 9_999 }, generatePrivateKey());
    await waitUntil(() => (agent!.counters.commandsRejected['not-owner'] ?? 0) === before + 1, 10_000, 'the refusal');
    const newest = Math.max(...seen.slice(0, mark).map((m) => m.seq));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(seen.slice(mark).filter((m) => m.seq <= newest)).to.deep.equal([]);
  });
});
