import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import {
  startAedes,
  mosquittoPath,
  startMosquitto,
  type AedesBroker,
  type MosquittoBroker,
} from '../../helpers/brokers';
import { shouldSurviveBrokerRestart, type RestartableBroker } from './publisherBehaviour';

/** A receiver with a persistent session (MQTT 3.1.1, clean: false) that records telemetry sequence numbers. */
function persistentReceiver(url: string, seqs: number[], options: Record<string, unknown> = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, {
      protocolVersion: 4,
      clean: false,
      clientId: `receiver-${process.pid}-${Date.now()}`,
      reconnectPeriod: 100,
      ...options,
    });
    client.on('message', (_topic, payload) => seqs.push((JSON.parse(payload.toString()) as { seq: number }).seq));
    client.once('connect', () =>
      client.subscribe('twins/+/telemetry', { qos: 1 }, (error) => (error ? reject(error) : resolve(client))),
    );
    client.once('error', reject);
  });
}

describe('MqttPublisher against real brokers', function () {
  describe('aedes (in process)', function () {
    let broker: AedesBroker;
    before(async () => (broker = await startAedes()));
    after(async () => broker.stop());

    shouldSurviveBrokerRestart(() => ({
      url: broker.url,
      stop: () => broker.stop(),
      start: () => broker.start(),
      receivedSeqs: () =>
        broker.received
          .filter((packet) => packet.topic.endsWith('/telemetry'))
          .map((packet) => (JSON.parse(packet.payload) as { seq: number }).seq),
    }));
  });

  describe('Mosquitto', function () {
    let broker: MosquittoBroker;
    let receiver: MqttClient | undefined;
    const seqs: number[] = [];

    before(async function () {
      if (mosquittoPath() === undefined) {
        console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
        this.skip();
      }
      broker = await startMosquitto({ persistence: true });
      receiver = await persistentReceiver(broker.url, seqs);
    });
    after(async () => {
      await receiver?.endAsync(true);
      await broker?.stop();
    });

    it('is the real Mosquitto', function () {
      expect(mosquittoPath()).to.be.a('string');
      expect(receiver?.connected).to.equal(true);
    });

    shouldSurviveBrokerRestart(
      (): RestartableBroker => ({
        url: broker.url,
        stop: () => broker.stop(),
        start: () => broker.start(),
        receivedSeqs: () => seqs,
      }),
    );
  });
});
