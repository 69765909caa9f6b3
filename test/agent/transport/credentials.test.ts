import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../../../agent/src/config';
import { agentBrokerLogin, mqttOptionsFromConfig } from '../../../agent/src/runAgent';
import { generatePrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { MqttPublisher } from '../../../agent/src/transport/mqttPublisher';
import { Outbox } from '../../../agent/src/transport/outbox';
import { startAedes, waitUntil, type AedesBroker } from '../../helpers/brokers';

describe('MQTT username and password from the agent config (aedes with authentication)', function () {
  this.timeout(30_000);
  let broker: AedesBroker;
  let directory: string;
  before(async () => {
    broker = await startAedes(undefined, { username: 'device-0001', password: 's3cret-Pa55' });
    directory = mkdtempSync(join(tmpdir(), 'credentials-'));
  });
  after(async () => {
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  function publisherWith(password: string, name: string) {
    const config = loadAgentConfig({
      environment: {
        TWIN_AGENT_MQTT_URL: broker.url,
        TWIN_AGENT_MQTT_USERNAME: 'device-0001',
        TWIN_AGENT_MQTT_PASSWORD: password,
        TWIN_AGENT_DATA_DIR: directory,
        TWIN_AGENT_MQTT_CLIENT_ID: name,
      },
    });
    // A fixed password (an external broker's password file) goes through the same login as a signed token.
    const login = agentBrokerLogin(config, { kind: 'device', id: `0x${'11'.repeat(32)}` }, generatePrivateKey());
    expect(login.username).to.equal('device-0001');
    return new MqttPublisher({
      url: config.mqttUrl,
      ...(login.password ? { password: login.password } : {}),
      options: mqttOptionsFromConfig(config, login),
      outbox: new Outbox({ directory: join(directory, name) }),
      reconnectMinMs: 200,
      reconnectMaxMs: 400,
    });
  }

  it('connects and delivers with the right password', async function () {
    const publisher = publisherWith('s3cret-Pa55', 'good');
    publisher.start();
    publisher.enqueue({ topic: 'twins/auth/telemetry', payload: '{"ok":true}', retain: false });
    await waitUntil(() => broker.received.some((packet) => packet.payload === '{"ok":true}'), 10_000, 'the message');
    await publisher.stop();
  });

  it('is refused with a wrong password and keeps the message stored, backing off between attempts', async function () {
    const publisher = publisherWith('wrong', 'bad');
    const errors: string[] = [];
    publisher.on('transportError', (error) => errors.push(error.message));
    publisher.start();
    publisher.enqueue({ topic: 'twins/auth/telemetry', payload: '{"ok":false}', retain: false });
    await waitUntil(() => errors.length >= 3, 10_000, 'three refused connection attempts');
    // Each failure doubled the wait before the next attempt, up to the configured maximum.
    const client = (publisher as unknown as { client: { options: { reconnectPeriod: number } } }).client;
    expect(client.options.reconnectPeriod).to.equal(400);
    expect(errors[0]).to.match(/Not authorized|Bad username or password/i);
    expect(publisher.isConnected).to.equal(false);
    expect(publisher.stats().pending).to.equal(1);
    expect(broker.received.some((packet) => packet.payload === '{"ok":false}')).to.equal(false);
    await publisher.stop();
  });
});
