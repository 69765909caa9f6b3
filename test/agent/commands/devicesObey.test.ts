import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { createActuators } from '../../../agent/src/actuators/createActuators';
import { gpioDriver } from '../../../agent/src/actuators/gpioDriver';
import { loadAgentConfig } from '../../../agent/src/config';
import { runAgent, type RunningAgent } from '../../../agent/src/runAgent';
import { createSimulation } from '../../../agent/src/simulate';
import { PROBE_DISABLED, withProbesSwitchedOff } from '../../../agent/src/collect/probeSwitches';
import { snapshotBodySchema } from '../../../twin-core/src/messages/snapshot';
import { createOracleSigner } from '../../../oracle/src/publish/oracleSigner';
import { commandReplySchema, type CommandReply } from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { fromHex } from '../../../twin-core/src/encoding/hex';
import { generatePrivateKey, privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';
import { hashCommand, signCommand } from '../../../twin-core/src/signing/commandSignature';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../../helpers/brokers';

const START = Date.UTC(2026, 0, 1);
const options = {
  devices: 2,
  ratePerSecond: 1,
  snapshotIntervalSeconds: 30,
  scenario: 'normal' as const,
  seed: 'control-obey',
  startTimeMs: START,
};
const temperatures = (simulation: ReturnType<typeof createSimulation>, from: number, to: number) =>
  simulation
    .step(to)
    .filter((message) => message.kind === 'telemetry' && message.deviceIndex === 0 && message.atMs > from)
    .map((message) => (message.kind === 'telemetry' ? message.body.sensors[0]!.value : NaN));

describe('Simulated devices obey with visible effect', function () {
  it('a fan at full speed cools the processor by 12 °C, reading for reading', function () {
    const plain = createSimulation(options);
    const cooled = createSimulation(options);
    plain.step(START + 10_000);
    cooled.step(START + 10_000);
    cooled.setCooling(0, 100);
    const before = temperatures(plain, START + 10_000, START + 30_000);
    const after = temperatures(cooled, START + 10_000, START + 30_000);
    expect(after).to.have.length(before.length).and.length.greaterThan(10);
    after.forEach((value, index) => expect(value).to.be.closeTo(before[index]! - 12, 0.011));
  });

  it('a new telemetry interval changes the message rate at once, and a requested snapshot comes in the next step', function () {
    const simulation = createSimulation(options);
    const count = (to: number) =>
      simulation.step(to).filter((m) => m.deviceIndex === 0 && m.kind === 'telemetry').length;
    expect(count(START + 20_000)).to.be.within(19, 21);
    simulation.setIntervals(0, { telemetrySeconds: 0.25 }, START + 20_000);
    expect(simulation.intervalsOf(0).telemetrySeconds).to.equal(0.25);
    expect(count(START + 30_000)).to.be.within(39, 41);
    simulation.requestSnapshot(0, START + 30_000);
    expect(simulation.step(START + 30_100).some((m) => m.deviceIndex === 0 && m.kind === 'snapshot')).to.equal(true);
  });

  it('a snapshot with probes switched off carries those sections as disabled, the others as read, and stays valid', function () {
    const simulation = createSimulation(options);
    const snapshot = simulation.step(START + 31_000).find((m) => m.deviceIndex === 0 && m.kind === 'snapshot');
    if (snapshot?.kind !== 'snapshot') throw new Error('no snapshot');
    const body = withProbesSwitchedOff(snapshot.body, { usb: false, dnsConfig: false, memory: true });
    const disabled = { available: false, reason: PROBE_DISABLED };
    expect(body.usb).to.deep.equal(disabled);
    expect(body.dns.config).to.deep.equal(disabled);
    expect(body.dns.cache).to.deep.equal(snapshot.body.dns.cache);
    expect(body.memory).to.deep.equal(snapshot.body.memory);
    expect(snapshot.body.usb).to.not.deep.equal(disabled);
    expect(snapshotBodySchema.safeParse(body).success).to.equal(true);
  });
});

describe('Actuator drivers', function () {
  it('the no-hardware driver reports the state it holds', async function () {
    const actuators = createActuators([{ name: 'fan', type: 'fan', driver: 'memory' }]);
    expect(await actuators.actuate('fan', { action: 'turn_on', speed: 40 })).to.deep.equal({
      actuator: 'fan',
      state: { on: true, level: 40 },
    });
    expect(actuators.describe()).to.deep.equal([
      { name: 'fan', type: 'fan', driver: 'memory', state: { on: true, level: 40 } },
    ]);
    await actuators.actuate('fan', { action: 'turn_off' });
    expect(actuators.describe()[0]!.state).to.deep.equal({ on: false, level: 0 });
  });

  it('the GPIO driver fails with gpioset\'s error on a chip that does not exist (the device answers "failed")', async function () {
    if (!existsSync('/usr/bin/gpioset')) {
      console.log("      skipped: Debian's gpiod (gpioset) is not installed (.ci/run installs it)");
      this.skip();
    }
    const relay = gpioDriver({
      type: 'switch',
      chip: 'control-no-such-chip',
      line: 0,
      activeLow: false,
      timeoutMs: 2_000,
    });
    let error: Error | undefined;
    await relay.apply({ action: 'turn_on' }).catch((caught: Error) => (error = caught));
    expect(error?.message).to.match(/gpioset/);
  });

  it('the GPIO driver sets a line and reads its real state back (a real or gpio-sim chip)', async function () {
    const chips = existsSync('/dev') ? readdirSync('/dev').filter((name) => name.startsWith('gpiochip')) : [];
    if (chips.length === 0 && existsSync('/sys/kernel/config/gpio-sim')) {
      try {
        // gpio-sim through configfs: one bank of 8 lines (needs root and the gpio-sim module).
        const bank = '/sys/kernel/config/gpio-sim/control-sim';
        execFileSync('sh', [
          '-c',
          `mkdir -p ${bank}/bank0 && echo 8 > ${bank}/bank0/num_lines && echo 1 > ${bank}/live`,
        ]);
      } catch {
        // not allowed here
      }
    }
    const available = existsSync('/dev') ? readdirSync('/dev').filter((name) => name.startsWith('gpiochip')) : [];
    if (available.length === 0 || !existsSync('/usr/bin/gpioset')) {
      console.log(
        '      skipped: no /dev/gpiochip* and no usable gpio-sim (needs configfs at /sys/kernel/config and the gpio-sim ' +
          'module), or gpiod not installed: no GPIO line to drive',
      );
      this.skip();
    }
    const line = gpioDriver({
      type: 'switch',
      chip: available[available.length - 1]!,
      line: 0,
      activeLow: false,
      timeoutMs: 2_000,
    });
    expect(await line.apply({ action: 'turn_on' })).to.deep.equal({ on: true, level: null });
    expect(await line.apply({ action: 'turn_off' })).to.deep.equal({ on: false, level: null });
  });
});

describe('MQTT 5: the answer goes to the response topic with the correlation data (Mosquitto)', function () {
  this.timeout(60_000);
  let broker: MosquittoBroker | undefined;
  let agent: RunningAgent | undefined;
  let client: MqttClient | undefined;
  let directory: string;
  const oracleKey = generatePrivateKey();
  const ownerKey = generatePrivateKey();
  const domain = { chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    broker = await startMosquitto();
    directory = mkdtempSync(join(tmpdir(), 'control-mqtt5-'));
    agent = await runAgent({
      config: {
        ...loadAgentConfig({
          environment: {
            TWIN_AGENT_MQTT_URL: broker.url,
            TWIN_AGENT_MQTT_PROTOCOL_VERSION: '5',
            TWIN_AGENT_DATA_DIR: directory,
            TWIN_AGENT_ORACLE_ADDRESSES: privateKeyToAddress(oracleKey),
          },
          file: undefined,
        }),
        identity: { serialNumber: 'mqtt5-1', manufacturer: 'Lab', hardwareModel: 'Box', hardwareRevision: '1' },
      },
    });
    client = connect(broker.url, { protocolVersion: 5 });
    await new Promise((resolve) => client!.once('connect', resolve));
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
  });
  after(async () => {
    await client?.endAsync();
    await agent?.stop().catch(() => undefined);
    await broker?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('answers on its reply topic with the correlation data, also for a response topic the broker would refuse it', async function () {
    const received: { topic: string; reply: CommandReply; correlation: string | undefined }[] = [];
    client!.on(
      'message',
      (topic, payload, packet) =>
        topic.includes('/reply') &&
        received.push({
          topic,
          reply: commandReplySchema.parse(JSON.parse(payload.toString())),
          correlation: packet.properties?.correlationData?.toString('hex'),
        }),
    );
    await client!.subscribeAsync(`twins/${agent!.deviceId}/#`, { qos: 1 });
    const send = async (nonce: string, responseTopic: string) => {
      const command = signCommand(
        {
          v: 1,
          kind: 'command',
          deviceId: agent!.deviceId,
          command: 'ping',
          args: {},
          nonce,
          expiry: Math.floor(Date.now() / 1000) + 60,
        },
        ownerKey,
        domain,
      );
      const commandId = hashCommand(command, domain);
      await client!.publishAsync(deviceTopic(agent!.deviceId, 'command'), JSON.stringify(command), {
        qos: 1,
        properties: { responseTopic, correlationData: Buffer.from(fromHex(commandId)) },
      });
      return commandId;
    };
    const reply = deviceTopic(agent!.deviceId, 'reply');
    // The API's response topic; one below it and one elsewhere (the ACL grants a device neither).
    const commandIds = [
      await send('1', reply),
      await send('2', `${reply}/control`),
      await send('3', 'elsewhere/replies'),
    ];
    await waitUntil(() => received.filter((r) => r.reply.body.status === 'succeeded').length === 3, 10_000, 'three answers');
    for (const commandId of commandIds) {
      const answers = received.filter((r) => r.reply.body.commandId === commandId);
      expect(answers.map((r) => r.topic), commandId).to.deep.equal([reply, reply]);
      expect(answers.map((r) => r.correlation)).to.deep.equal([commandId.slice(2), commandId.slice(2)]);
    }
  });
});
