import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { join } from 'node:path';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { countRejectionsByReason, type Store } from '../../store/src';
import { signDeviceMessage } from '../../twin-core/src';
import { mosquittoPath, startMosquitto, type MosquittoBroker } from '../helpers/brokers';
import { CAST, mined } from './chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { waitFor } from './waitFor';

const SEED = 'oracle-shared-index';
const DEVICES = 4;

const replays = (oracle: RunningOracle) => oracle.stats().rejections.replay ?? 0;
const duplicates = (oracle: RunningOracle) => oracle.stats().duplicates;

// Each instance subscribes without a share group: the broker gives both every message, an identical copy of each
// one to the other instance. The store decides in the insert's transaction, whatever each instance's memory says.
describe('Two oracle instances on one index (PostgreSQL), each receiving every message', function () {
  this.timeout(180_000);
  let harness: OracleHarness;
  let broker: MosquittoBroker;
  const oracles: RunningOracle[] = [];
  const stores: Store[] = [];
  let capture: MqttClient | undefined;
  const snapshots: { topic: string; payload: Buffer }[] = [];

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startMosquitto();
    const second = harness.node.wallet(CAST.newSigner);
    await mined(harness.registry.entities.grantRole(await harness.registry.entities.ORACLE_ROLE(), second.address));
  });
  after(async () => {
    capture?.end(true);
    for (const oracle of oracles) await oracle.stop().catch(() => undefined);
    for (const store of stores) await store.close().catch(() => undefined);
    await broker?.stop();
    await harness?.stop();
  });

  it('accepts each message once: the other instance completes its copy as a duplicate, each snapshot indexed and anchored once', async function () {
    const instances = [
      { key: harness.node.wallet(CAST.oracle).privateKey, name: 'a' },
      { key: harness.node.wallet(CAST.newSigner).privateKey, name: 'b' },
    ];
    for (const instance of instances) {
      const config = loadOracleConfig({
        environment: harness.oracleEnvironment(broker.url, {
          ORACLE_ORACLE_KEY: instance.key,
          ORACLE_DATA_DIR: join(harness.directory, `oracle-${instance.name}`),
          ORACLE_MQTT_CLIENT_ID: `twin-oracle-index-${instance.name}`,
          ORACLE_MQTT_SHARED: 'false',
        }),
      });
      // A pool of its own per instance, on the one test database.
      const store = await harness.database.open();
      stores.push(store);
      const oracle = await runOracle(config, undefined, { index: store });
      expect(oracle.index).to.equal(store);
      oracles.push(oracle);
    }
    capture = connect(broker.url);
    await new Promise<void>((resolve) => capture!.once('connect', () => resolve()));
    await capture.subscribeAsync('twins/+/snapshot', { qos: 1 });
    capture.on('message', (topic, payload) => snapshots.push({ topic, payload: Buffer.from(payload) }));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const produced = await harness.publishFromDevices(broker.url, 3);
    expect(produced).to.be.greaterThan(DEVICES);
    const [a, b] = oracles as [RunningOracle, RunningOracle];
    // Every message reached both: one accepted it, the other found the same bytes indexed.
    await waitFor(
      () =>
        a.stats().received === b.stats().received &&
        a.stats().accepted + b.stats().accepted + duplicates(a) + duplicates(b) >= 2 * a.stats().received,
      60_000,
      'every message judged by both instances',
    ).catch((error: Error) => {
      const counts = (o: RunningOracle) => ({
        ...o.stats().rejections,
        accepted: o.stats().accepted,
        duplicates: duplicates(o),
        received: o.stats().received,
      });
      throw new Error(`${error.message}: ${JSON.stringify([counts(a), counts(b)])}`);
    });
    const received = a.stats().received;
    // Each message judged by both: accepted by one, a duplicate to the other (never accepted twice, never a
    // rejection: a copy is not an attack).
    expect(a.stats().accepted + b.stats().accepted).to.equal(received);
    expect(duplicates(a) + duplicates(b)).to.equal(received);
    const refused = Object.entries({ ...a.stats().rejections, ...b.stats().rejections }).filter(([, n]) => n > 0);
    expect(refused).to.deep.equal([]);
    expect(replays(a) + replays(b)).to.equal(0);

    await waitFor(
      async () => (await harness.anchoredSnapshots()).filter((row) => row.status === 'confirmed').length >= produced,
      60_000,
      'every snapshot anchored',
    );
    const rows = await harness.anchoredSnapshots();
    expect(rows).to.have.length(produced);
    expect(new Set(rows.map((row) => `${row.deviceId}:${row.seq}`)).size).to.equal(produced);
    for (const row of rows) {
      expect(
        await harness.registry.anchor.verifySnapshot(row.root!, row.proof!, row.deviceId, row.seq, row.hash),
        `${row.deviceId} #${row.seq}`,
      ).to.equal(true);
    }
    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    expect(events.reduce((sum, event) => sum + Number(event.args.leafCount), 0)).to.equal(produced);
    expect(a.stats().anchoredSnapshots + b.stats().anchoredSnapshots).to.equal(produced);
    expect(await countRejectionsByReason(harness.index)).to.deep.equal({});

    // A snapshot accepted before, published again: both instances find this very message indexed and complete it as
    // a duplicate. Nothing new is indexed.
    expect(snapshots.length).to.be.greaterThan(0);
    const before = [duplicates(a), duplicates(b)];
    const again = snapshots[0]!;
    await capture.publishAsync(again.topic, again.payload, { qos: 1 });
    await waitFor(
      () => duplicates(a) === before[0]! + 1 && duplicates(b) === before[1]! + 1,
      20_000,
      'the copy completed as a duplicate by both instances',
    );
    expect(replays(a) + replays(b)).to.equal(0);

    // Another message under that number, signed by the device itself: a replay, refused by both instances and
    // recorded twice in the shared index.
    const original = JSON.parse(again.payload.toString()) as Record<string, unknown> & { deviceId: string; ts: string };
    const device = harness.devices.find((one) => one.deviceId.toLowerCase() === original.deviceId.toLowerCase())!;
    const { sig: _sig, ...unsigned } = original;
    const other = signDeviceMessage(
      { ...unsigned, ts: new Date(Date.parse(original.ts) + 1).toISOString() } as never,
      device.privateKey,
    );
    await capture.publishAsync(again.topic, JSON.stringify(other), { qos: 1 });
    await waitFor(() => replays(a) === 1 && replays(b) === 1, 20_000, 'the other message refused by both').catch(
      (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify([a.stats().rejections, b.stats().rejections])}`);
      },
    );
    expect((await countRejectionsByReason(harness.index)).replay).to.equal(2);
    expect(await harness.anchoredSnapshots()).to.have.length(produced);
  });
});
