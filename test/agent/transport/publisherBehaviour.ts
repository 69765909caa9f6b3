import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { DeviceChannel } from '../../../agent/src/device/deviceChannel';
import { SequenceStore } from '../../../agent/src/identity/sequenceStore';
import { MqttPublisher } from '../../../agent/src/transport/mqttPublisher';
import { Outbox } from '../../../agent/src/transport/outbox';
import { generatePrivateKey } from '../../../twin-core/src/signing/deviceKey';
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import { waitUntil } from '../../helpers/brokers';

/** A broker a behaviour can stop and start on the same port, and ask what reached a subscriber. */
export type RestartableBroker = {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Sequence numbers of the telemetry messages a receiver got, in arrival order (duplicates included). */
  receivedSeqs(): number[];
  /** mqtt.js options the publisher needs (TLS files…). */
  clientOptions?: IClientOptions;
};

/** A minimal telemetry body: the transport does not look inside. */
export function telemetryBody(n: number): TelemetryBody {
  return {
    cpuPercent: n % 100,
    memoryUsedPercent: 50,
    load1: 0.5,
    processCount: 100,
    network: {
      intervalSeconds: 1,
      packetsInPerSec: n,
      packetsOutPerSec: n,
      bytesInPerSec: 0,
      bytesOutPerSec: 0,
      protocolMix: { tcp: 1, udp: 0, icmp: 0 },
      newConnectionsPerSec: 0,
      failedConnectionsPerSec: 0,
      resetsPerSec: 0,
      retransmitsPerSec: 0,
      establishedConnections: 1,
      dnsQueriesPerSec: null,
      tlsHandshakesPerSec: null,
      meanSessionSeconds: null,
      latencyMs: null,
      jitterMs: null,
      meanPayloadBytes: null,
      payloadSizeEntropyBits: null,
      meanInterArrivalMs: null,
      interArrivalCv: null,
      unavailable: {},
    },
    sensors: [],
  };
}

/**
 * Shared behaviour: the publisher carries every message across a broker restart, first deliveries in order.
 * Used against aedes in process and against Mosquitto.
 */
export function shouldSurviveBrokerRestart(getBroker: () => RestartableBroker): void {
  describe('when the broker restarts in the middle of a stream', function () {
    let directory: string;
    let publisher: MqttPublisher | undefined;
    beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'publisher-'))));
    afterEach(async () => {
      await publisher?.stop();
      publisher = undefined;
      rmSync(directory, { recursive: true, force: true });
    });

    it('loses nothing and keeps first deliveries in order', async function () {
      this.timeout(60_000);
      const broker = getBroker();
      const deviceId = `0x${'1'.repeat(64)}` as const;
      const channel = new DeviceChannel({
        deviceId,
        key: generatePrivateKey(),
        sequence: new SequenceStore(join(directory, 'sequence')),
      });
      const outbox = new Outbox({ directory: join(directory, 'outbox') });
      publisher = new MqttPublisher({
        url: broker.url,
        options: { clientId: `publisher-${process.pid}-${Date.now()}`, ...broker.clientOptions },
        outbox,
        reconnectMinMs: 100,
        reconnectMaxMs: 400,
      });
      publisher.start();
      const sent: number[] = [];
      const send = (n: number) => {
        const message = channel.message('telemetry', telemetryBody(n));
        sent.push(message.seq);
        publisher!.enqueue(channel.toEntry(message));
      };
      for (let n = 0; n < 150; n++) send(n);
      await waitUntil(() => new Set(broker.receivedSeqs()).size >= 50, 15_000, 'the first messages');

      await broker.stop();
      for (let n = 150; n < 300; n++) send(n);
      expect(outbox.size).to.be.greaterThan(0);
      await broker.start();

      await waitUntil(
        () => sent.every((seq) => broker.receivedSeqs().includes(seq)),
        30_000,
        'every message after the restart',
      );
      await waitUntil(() => outbox.size === 0, 10_000, 'the outbox to drain');
      const firstDeliveries = [...new Set(broker.receivedSeqs())];
      expect(firstDeliveries).to.deep.equal(sent);
      expect(publisher.stats().dropped).to.equal(0);
    });
  });
}
