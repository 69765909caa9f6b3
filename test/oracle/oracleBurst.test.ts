import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { createSimulation } from '../../agent/src/simulate/createSimulation';
import { signSimulated, signSimulatedStatic } from '../../agent/src/simulate/sign';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import type { Store } from '../../store/src';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { startAedes, type AedesBroker } from '../helpers/brokers';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { waitFor } from './waitFor';

const SEED = 'oracle-burst';
const DEVICES = 4;

type Published = { topic: string; payload: string; kind: string; key: string };

/** A burst of signed messages of the harness's devices: a static document each, then 20 s of telemetry and snapshots. */
function burstOf(devices: number): Published[] {
  const now = Date.now();
  const simulation = createSimulation({
    devices,
    ratePerSecond: 5,
    snapshotIntervalSeconds: 1,
    scenario: 'normal',
    seed: SEED,
    startTimeMs: now - 20_000,
  });
  const seq = simulation.devices.map(() => 1);
  const out: Published[] = simulation.devices.map((device) => ({
    topic: deviceTopic(device.deviceId, 'static'),
    payload: JSON.stringify(signSimulatedStatic(device, 0, new Date(now - 20_000).toISOString())),
    kind: 'static',
    key: `${device.deviceId}:static:0`,
  }));
  for (let at = now - 19_750; at <= now; at += 250) {
    for (const message of simulation.step(at)) {
      const device = simulation.devices[message.deviceIndex]!;
      const n = seq[message.deviceIndex]!++;
      out.push({
        topic: deviceTopic(device.deviceId, message.kind),
        payload: JSON.stringify(signSimulated(device, message, n)),
        kind: message.kind,
        key: `${device.deviceId}:${message.kind}:${n}`,
      });
    }
  }
  return out;
}

// The start storm of issue 15 on a small scale: every message at once, on a pool of two connections whose wait is
// bounded at 200 ms. Before the gate, the batched twin lookups and the retries, most lookups timed out in the pool and
// their messages were logged "processing failed" and left behind.
describe('The oracle under a burst on a small pool (a real broker, the shared index)', function () {
  this.timeout(180_000);
  let harness: OracleHarness;
  let broker: AedesBroker;
  let oracle: RunningOracle | undefined;
  let store: Store;
  let client: MqttClient | undefined;
  const errors: string[] = [];

  before(async function () {
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startAedes();
  });
  after(async function () {
    client?.end(true);
    await oracle?.stop().catch(() => undefined);
    await broker?.stop();
    await harness?.stop();
  });

  it('loses nothing and indexes every message once; identical copies are duplicates, not rejections', async function () {
    // The pool's bound covers opening a connection too: on a loaded machine the first may take longer (tried again).
    for (let attempt = 1; ; attempt++) {
      try {
        store = await harness.database.open({ poolSize: 2, connectTimeoutMs: 200 });
        break;
      } catch (error) {
        if (attempt === 5) throw error;
      }
    }
    const config = loadOracleConfig({
      environment: harness.oracleEnvironment(broker.url, {
        ORACLE_MQTT_PROTOCOL_VERSION: '4',
        ORACLE_MQTT_SHARED: 'false',
        ORACLE_BATCH_SIZE: '64',
      }),
    });
    oracle = await runOracle(
      config,
      // What the ingestion logs when it leaves a message behind, or a telemetry batch for later.
      (_level, message, fields) =>
        /^processing failed|^telemetry batch not stored/.test(message) &&
        errors.push(`${message} ${JSON.stringify(fields)}`),
      { index: store },
    );
    const burst = burstOf(DEVICES);
    expect(burst.map((message) => message.topic.split('/')[1])).to.include(harness.devices[0]!.deviceId);
    // Ten snapshots and ten readings sent twice, as a device's client resending after a reconnect does.
    const copies = [
      ...burst.filter((message) => message.kind === 'snapshot').slice(0, 10),
      ...burst.filter((message) => message.kind === 'telemetry').slice(0, 10),
    ];
    const unique = burst.length;
    expect(unique).to.be.greaterThan(400);
    client = connect(broker.url);
    await new Promise<void>((resolve) => client!.once('connect', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(
      [...burst, ...copies].map((message) => client!.publishAsync(message.topic, message.payload, { qos: 1 })),
    );

    await waitFor(
      () => {
        const stats = oracle!.stats();
        return stats.accepted + stats.duplicates >= unique + copies.length && stats.journal.unprocessed === 0;
      },
      120_000,
      'every message processed',
    ).catch((error: Error) => {
      const stats = oracle!.stats();
      const { accepted, duplicates, rejections, journal, store } = stats;
      throw new Error(
        `${error.message}: ${JSON.stringify({ accepted, duplicates, rejections, journal, store, errors })}`,
      );
    });
    const stats = oracle.stats();
    expect(errors, errors.join('\n')).to.deep.equal([]);
    expect(Object.entries(stats.rejections).filter(([, n]) => n > 0)).to.deep.equal([]);
    expect(stats.accepted).to.equal(unique);
    expect(stats.duplicates).to.equal(copies.length);
    // The burst queued in memory (one slot of the two connections for the ingestion), and the twins were read in
    // batches: far fewer statements than messages.
    expect(stats.store.slots).to.equal(1);
    expect(stats.store.peakWaiting).to.be.greaterThan(10);
    expect(stats.store.givenUp).to.equal(0);
    expect(stats.store.twinStatements).to.be.lessThan(stats.store.twinLookups / 4);

    // Each message indexed once.
    const count = async (sql: string) => Number((await harness.index.query<{ n: string }>(sql)).rows[0]!.n);
    const expected = (kind: string) => burst.filter((message) => message.kind === kind).length;
    expect(await count('SELECT count(*) AS n FROM snapshots')).to.equal(expected('snapshot'));
    expect(await count('SELECT count(*) AS n FROM telemetry_readings')).to.equal(expected('telemetry'));
    expect(await count("SELECT count(*) AS n FROM sequence_ledger WHERE kind = 'static'")).to.equal(DEVICES);
    expect(await count("SELECT count(*) AS n FROM events WHERE kind = 'snapshot'")).to.equal(expected('snapshot'));
  });
});
