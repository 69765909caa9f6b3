import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { loadAgentConfig } from '../../../agent/src/config';
import { mqttOptionsFromConfig } from '../../../agent/src/runAgent';
import { MqttPublisher } from '../../../agent/src/transport/mqttPublisher';
import { Outbox } from '../../../agent/src/transport/outbox';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../../helpers/brokers';
import { createTestPki, type TestPki } from '../../helpers/certificates';

describe('MQTT over TLS with a client certificate (Mosquitto)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let broker: MosquittoBroker;
  let directory: string;

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    pki = createTestPki();
    broker = await startMosquitto({
      tls: { caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile },
    });
    directory = mkdtempSync(join(tmpdir(), 'tls-agent-'));
  });
  after(async () => {
    await broker?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
    if (pki) rmSync(pki.directory, { recursive: true, force: true });
  });

  it('publishes with the device certificate from the agent config, and a subscriber on TLS receives it', async function () {
    const config = loadAgentConfig({
      environment: {
        TWIN_AGENT_MQTT_URL: broker.url,
        TWIN_AGENT_MQTT_CA_FILE: pki.caFile,
        TWIN_AGENT_MQTT_CERT_FILE: pki.clientCertFile,
        TWIN_AGENT_MQTT_KEY_FILE: pki.clientKeyFile,
        TWIN_AGENT_DATA_DIR: directory,
      },
    });
    expect(config.mqttUrl.startsWith('mqtts://')).to.equal(true);
    const received: string[] = [];
    const subscriber = connect(broker.url, {
      ca: pki.caFile ? require('node:fs').readFileSync(pki.caFile) : undefined,
      cert: require('node:fs').readFileSync(pki.clientCertFile),
      key: require('node:fs').readFileSync(pki.clientKeyFile),
      clientId: 'tls-subscriber',
    });
    subscriber.on('message', (_topic, payload) => received.push(payload.toString()));
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () =>
        subscriber.subscribe('twins/#', { qos: 1 }, (error) => (error ? reject(error) : resolve())),
      );
      subscriber.once('error', reject);
    });
    const publisher = new MqttPublisher({
      url: config.mqttUrl,
      options: mqttOptionsFromConfig(config, { clientId: 'tls-device' }),
      outbox: new Outbox({ directory: join(directory, 'outbox') }),
    });
    publisher.start();
    publisher.enqueue({ topic: 'twins/tls/telemetry', payload: '{"over":"tls"}', retain: false });
    await waitUntil(() => received.includes('{"over":"tls"}'), 15_000, 'the message over TLS');
    expect(publisher.isConnected).to.equal(true);
    await publisher.stop();
    await subscriber.endAsync();
  });

  it('is refused without a client certificate, or with one from another CA', async function () {
    for (const options of [
      { ca: require('node:fs').readFileSync(pki.caFile) },
      {
        ca: require('node:fs').readFileSync(pki.caFile),
        cert: require('node:fs').readFileSync(pki.strangerCertFile),
        key: require('node:fs').readFileSync(pki.strangerKeyFile),
      },
    ]) {
      const outcome = await new Promise<string>((resolve) => {
        const client = connect(broker.url, { ...options, reconnectPeriod: 0, connectTimeout: 5_000 });
        client.once('connect', () => {
          client.end(true);
          resolve('connected');
        });
        client.once('error', (error) => {
          client.end(true);
          resolve(`refused: ${error.message}`);
        });
        client.once('close', () => resolve('refused: closed'));
      });
      expect(outcome).to.match(/^refused/);
    }
  });
});
