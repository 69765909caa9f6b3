import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { loadAgentConfig } from '../../../agent/src/config';
import { runAgent, type RunningAgent } from '../../../agent/src/runAgent';
import type { Logger } from '../../../agent/src/log';
import { createOracleSigner } from '../../../oracle/src/publish/oracleSigner';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { commandReplySchema, type CommandReply, type UnsignedCommand } from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { generatePrivateKey, privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';
import { hashCommand, signCommand } from '../../../twin-core/src/signing/commandSignature';
import { recoverMessageSigner } from '../../../twin-core/src/signing/messageSignature';
import { reportedFromStatus, stateDelta } from '../../../twin-core/src/messages/stateRules';
import { PROBE_DISABLED } from '../../../agent/src/collect/probeSwitches';
import { startAedes, waitUntil, type AedesBroker } from '../../helpers/brokers';

describe('Signed commands: the agent obeys only its owner (real aedes broker)', function () {
  this.timeout(60_000);
  const oracleKey = generatePrivateKey();
  const ownerKey = generatePrivateKey();
  const strangerKey = generatePrivateKey();
  const domain = { chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
  let broker: AedesBroker;
  let directory: string;
  let agent: RunningAgent | undefined;
  let client: MqttClient;
  let nonce = 1;
  const replies: CommandReply[] = [];

  const start = (log?: Logger) =>
    runAgent({
      ...(log ? { log } : {}),
      config: {
        ...loadAgentConfig({
          environment: {
            TWIN_AGENT_MQTT_URL: broker.url,
            TWIN_AGENT_DATA_DIR: directory,
            // Long intervals: a new interval must apply at once, not after these run out.
            TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '3600',
            TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '86400',
            TWIN_AGENT_ORACLE_ADDRESSES: privateKeyToAddress(oracleKey),
            TWIN_AGENT_ACTUATORS: JSON.stringify([{ name: 'light', type: 'light', driver: 'memory' }]),
          },
          file: undefined,
        }),
        // A file sensor (sysfs style), so that telemetry carries a reading the sensor period can thin out.
        sensors: [{ name: 'soil', unit: '%', file: join(directory, 'soil'), scale: 1, offset: 0 }],
        identity: { serialNumber: 'cmd-1', manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' },
      },
    });
  const command = (name: string, args: UnsignedCommand['args'] = {}, expiresIn = 300): UnsignedCommand => ({
    v: 1,
    kind: 'command',
    deviceId: agent!.deviceId,
    command: name,
    args,
    nonce: String(nonce++),
    expiry: Math.floor(Date.now() / 1000) + expiresIn,
  });
  const send = async (payload: unknown, retain = false) =>
    client.publishAsync(deviceTopic(agent!.deviceId, 'command'), JSON.stringify(payload), { qos: 1, retain });
  const record = (owner: string, block: number, key = oracleKey) =>
    createOracleSigner(key).twinRecord(agent!.deviceId, {
      owner,
      state: 'active',
      deviceSigner: agent!.signer,
      manufacturer: privateKeyToAddress(generatePrivateKey()),
      chainId: domain.chainId,
      registry: domain.registry,
      block,
    });
  const rejected = (reason: string) => agent!.counters.commandsRejected[reason] ?? 0;
  const repliesTo = (commandId: Hex) => replies.filter((reply) => reply.body.commandId === commandId);

  before(async () => {
    broker = await startAedes();
    directory = mkdtempSync(join(tmpdir(), 'control-commands-'));
    writeFileSync(join(directory, 'soil'), '41\n');
    agent = await start();
    client = connect(broker.url);
    await new Promise((resolve) => client.once('connect', resolve));
    await client.subscribeAsync(deviceTopic(agent.deviceId, 'reply'), { qos: 1 });
    client.on('message', (_topic, payload) => replies.push(commandReplySchema.parse(JSON.parse(payload.toString()))));
  });
  after(async () => {
    await client?.endAsync();
    await agent?.stop().catch(() => undefined);
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses every command while it knows no owner', async function () {
    await send(signCommand(command('ping'), ownerKey, domain));
    await waitUntil(() => rejected('owner-unknown') === 1, 5_000, 'the refusal');
  });

  it('learns its owner from a twin record signed by a pinned oracle key, never from another key or an older record', async function () {
    await client.publishAsync(
      deviceTopic(agent!.deviceId, 'twin'),
      JSON.stringify(record(privateKeyToAddress(ownerKey), 10)),
      { qos: 1, retain: true },
    );
    await client.publishAsync(
      deviceTopic(agent!.deviceId, 'twin'),
      JSON.stringify(record(privateKeyToAddress(strangerKey), 11, strangerKey)),
      { qos: 1 },
    );
    await client.publishAsync(
      deviceTopic(agent!.deviceId, 'twin'),
      JSON.stringify(record(privateKeyToAddress(strangerKey), 9)),
      { qos: 1 },
    );
    await waitUntil(
      () =>
        agent!.counters.twinRecordsRejected['untrusted-signer'] === 1 &&
        agent!.counters.twinRecordsRejected['stale-record'] === 1,
      5_000,
      'the refused records',
    );
  });

  it("obeys the owner's set-intervals at once, acknowledging then answering with a reply signed by the device key", async function () {
    const telemetryBefore = broker.received.filter((packet) => packet.topic.endsWith('/telemetry')).length;
    const signed = signCommand(command('set-intervals', { telemetrySeconds: 0.5 }), ownerKey, domain);
    const commandId = hashCommand(signed, domain);
    await send(signed);
    await waitUntil(() => repliesTo(commandId).length === 2, 5_000, 'the acknowledgement and the answer');
    const [delivered, succeeded] = repliesTo(commandId);
    expect(delivered!.body.status).to.equal('delivered');
    expect(succeeded!.body).to.deep.include({ status: 'succeeded' });
    expect(succeeded!.body.status === 'succeeded' && succeeded!.body.result).to.deep.equal({
      intervals: { snapshotSeconds: 86_400, telemetrySeconds: 0.5 },
    });
    for (const reply of [delivered!, succeeded!]) expect(recoverMessageSigner(reply)).to.equal(agent!.signer);
    // The old one-hour timer was replaced: telemetry flows within seconds.
    await waitUntil(
      () => broker.received.filter((packet) => packet.topic.endsWith('/telemetry')).length >= telemetryBefore + 3,
      5_000,
      'telemetry at the new interval',
    );
  });

  it('drives a declared actuator and reports its state', async function () {
    const signed = signCommand(command('light', { action: 'turn_on', brightness: 75 }), ownerKey, domain);
    const commandId = hashCommand(signed, domain);
    await send(signed);
    await waitUntil(() => repliesTo(commandId).length === 2, 5_000, 'the answer');
    const answer = repliesTo(commandId)[1]!.body;
    expect(answer.status === 'succeeded' && answer.result).to.deep.equal({
      actuator: 'light',
      state: { on: true, level: 75 },
    });
  });

  it('applies a desired state (apply-state): intervals at once and actuators through their driver', async function () {
    const signed = signCommand(
      command('apply-state', {
        desired: { intervals: { snapshotSeconds: 600 }, actuators: { light: { on: true, level: 30 } } },
        version: 1,
      }),
      ownerKey,
      domain,
    );
    const commandId = hashCommand(signed, domain);
    await send(signed);
    await waitUntil(() => repliesTo(commandId).length === 2, 5_000, 'the answer');
    const answer = repliesTo(commandId)[1]!.body;
    expect(answer.status === 'succeeded' && answer.result).to.deep.equal({
      version: 1,
      applied: {
        intervals: { snapshotSeconds: 600, telemetrySeconds: 0.5 },
        actuators: { light: { on: true, level: 30 } },
      },
    });
    expect(agent!.intervals.snapshotSeconds).to.equal(600);
  });

  it('applies desired configuration: probes switched off leave their sections unavailable, sensors sampled at their period, and the delta closes', async function () {
    const messages = (kind: string) =>
      broker.received.filter((packet) => packet.topic === deviceTopic(agent!.deviceId, kind as 'status'));
    const soilReadings = (from: number) =>
      messages('telemetry')
        .slice(from)
        .filter((packet) =>
          JSON.parse(packet.payload).body.sensors.some((reading: { name: string }) => reading.name === 'soil'),
        );
    // Before: every telemetry (every 0.5 s) reads the sensor, and the status declares what can be switched.
    const before = messages('telemetry').length;
    await waitUntil(() => soilReadings(before).length >= 2, 5_000, 'telemetry with the sensor');
    const declared = JSON.parse(messages('status').at(-1)!.payload).body;
    expect(declared.capabilities.probes).to.include.members(['usb', 'processes', 'dnsConfig']);
    expect(declared.capabilities.sensorSampling).to.equal(true);
    const desired = { intervals: { sensorSeconds: 3600 }, probes: { usb: false, processes: false } };
    const signed = signCommand(command('apply-state', { desired, version: 2 }), ownerKey, domain);
    const commandId = hashCommand(signed, domain);
    await send(signed);
    await waitUntil(() => repliesTo(commandId).length === 2, 5_000, 'the answer');
    const answer = repliesTo(commandId)[1]!.body;
    expect(answer.status, JSON.stringify(answer)).to.equal('succeeded');
    expect(answer.status === 'succeeded' && (answer.result.applied as { probes: object }).probes).to.deep.equal({
      usb: false,
      processes: false,
    });
    // The status it reports now agrees with the desired state: the delta is empty.
    await waitUntil(
      () =>
        Object.keys(stateDelta(desired, reportedFromStatus(JSON.parse(messages('status').at(-1)!.payload).body)))
          .length === 0,
      5_000,
      'a status that agrees',
    );
    const status = JSON.parse(messages('status').at(-1)!.payload).body;
    expect(status.intervals.sensorSeconds).to.equal(3600);
    expect(status.probes).to.deep.include({ usb: false, processes: false, memory: true });
    // Telemetry keeps flowing, without sensor readings until the hour is up.
    const after = messages('telemetry').length;
    await waitUntil(() => messages('telemetry').length >= after + 3, 5_000, 'telemetry at 0.5 s');
    expect(soilReadings(after)).to.have.length(0);
    // A snapshot leaves the switched-off sections unavailable and reads the others.
    const snapshots = messages('snapshot').length;
    await agent!.snapshotNow();
    await waitUntil(() => messages('snapshot').length > snapshots, 10_000, 'a snapshot');
    const body = JSON.parse(messages('snapshot').at(-1)!.payload).body;
    expect(body.usb).to.deep.equal({ available: false, reason: PROBE_DISABLED });
    expect(body.processes).to.deep.equal({ available: false, reason: PROBE_DISABLED });
    expect(body.memory.available).to.equal(true);
    // Switched on again, the probe reads again.
    const again = signCommand(
      command('apply-state', { desired: { probes: { usb: true } }, version: 3 }),
      ownerKey,
      domain,
    );
    await send(again);
    await waitUntil(() => repliesTo(hashCommand(again, domain)).length === 2, 5_000, 'the answer');
    const next = messages('snapshot').length;
    await agent!.snapshotNow();
    await waitUntil(() => messages('snapshot').length > next, 10_000, 'a snapshot');
    expect(JSON.parse(messages('snapshot').at(-1)!.payload).body.usb.reason).to.not.equal(PROBE_DISABLED);
  });

  it('refuses an anonymous, a non-owner, an expired, a replayed and an unsupported command, and counts each', async function () {
    const executed = agent!.counters.commandsExecuted;
    const accepted = signCommand(command('ping'), ownerKey, domain);
    await send(accepted);
    await waitUntil(() => agent!.counters.commandsExecuted === executed + 1, 5_000, 'the ping');

    await send({ command: 'set-intervals', requestId: 'r1', telemetrySeconds: 3600 }); // anonymous, unsigned
    const { sig: _sig, ...unsigned } = accepted;
    await send({ ...unsigned, nonce: String(nonce++), sig: `0x${'00'.repeat(65)}` }); // a made-up signature
    const foreign = signCommand(command('set-intervals', { telemetrySeconds: 3600 }), strangerKey, domain);
    await send(foreign);
    const expired = signCommand(command('ping', {}, -600), ownerKey, domain);
    await send(expired);
    await send(accepted); // a replay
    await send(signCommand(command('light', { action: 'turn_on', brightness: 150 }), ownerKey, domain));

    await waitUntil(
      () =>
        rejected('invalid-command') === 1 &&
        rejected('bad-signature') + rejected('not-owner') === 2 &&
        rejected('expired') === 1 &&
        rejected('replayed') === 1 &&
        rejected('not-supported') === 1,
      5_000,
      `every refusal counted (${JSON.stringify(agent!.counters.commandsRejected)})`,
    );
    expect(agent!.counters.commandsExecuted).to.equal(executed + 1);
    expect(agent!.intervals.telemetrySeconds).to.equal(0.5);
    // The owner learns why its expired command did not run; a stranger's costs the device no signature.
    await waitUntil(() => repliesTo(hashCommand(expired, domain)).length > 0, 5_000, 'the answer to the expired one');
    const expiredAnswer = repliesTo(hashCommand(expired, domain));
    expect(expiredAnswer.map((reply) => reply.body.status)).to.deep.equal(['failed']);
    expect(repliesTo(hashCommand(foreign, domain))).to.deep.equal([]);
  });

  it('remembers the nonces it obeyed and its owner across a restart, and never runs a retained command', async function () {
    const signed = signCommand(command('ping'), ownerKey, domain);
    await send(signed);
    await waitUntil(() => repliesTo(hashCommand(signed, domain)).length === 2, 5_000, 'the ping');
    await agent!.stop();
    // Published retained while the device is away: the broker hands it over at every subscription.
    await send(signCommand(command('set-intervals', { telemetrySeconds: 3600 }), ownerKey, domain), true);
    agent = await start();
    await waitUntil(() => rejected('retained') === 1, 5_000, 'the retained command refused');
    await send(signed);
    await waitUntil(() => rejected('replayed') === 1, 5_000, 'the replay refused');
    expect(agent.counters.commandsExecuted).to.equal(0);
    await client.publishAsync(deviceTopic(agent.deviceId, 'command'), '', { qos: 1, retain: true });
  });

  it('applies the desired state it obeyed before the restart again at once, merged in order (the delta stays closed)', async function () {
    // Obeyed before the restart: snapshotSeconds 600 and the light at 30 % (v1), sensors every hour with usb and
    // processes off (v2), usb on again (v3). telemetrySeconds came from set-intervals, not a desired state.
    const kept = {
      intervals: { snapshotSeconds: 600, sensorSeconds: 3600 },
      probes: { usb: true, processes: false },
      actuators: { light: { on: true, level: 30 } },
    };
    const statuses = () => broker.received.filter((packet) => packet.topic === deviceTopic(agent!.deviceId, 'status'));
    await waitUntil(
      () => {
        const last = statuses().at(-1);
        const body = last === undefined ? undefined : JSON.parse(last.payload).body;
        return body?.state === 'online' && Object.keys(stateDelta(kept, reportedFromStatus(body))).length === 0;
      },
      5_000,
      'a status with the kept desired state',
    );
    expect(agent!.intervals).to.deep.equal({ snapshotSeconds: 600, telemetrySeconds: 3600, sensorSeconds: 3600 });
    const status = JSON.parse(statuses().at(-1)!.payload).body;
    expect(status.capabilities.actuators[0].state).to.deep.equal({ on: true, level: 30 });
    // A kept file that no longer fits the device (an actuator it lost) is not applied, and says why.
    await agent!.stop();
    writeFileSync(
      join(directory, 'desired-state.json'),
      JSON.stringify({ desired: { actuators: { heater: { on: true } } } }),
    );
    const warnings: string[] = [];
    agent = await start((level, message, fields) => {
      if (level === 'warn') warnings.push(`${message} ${JSON.stringify(fields ?? {})}`);
    });
    expect(warnings.join('\n')).to.match(/kept desired state is not applied.*desired\.actuators\.heater/);
    expect(agent.intervals.snapshotSeconds).to.equal(86_400);
  });
});
