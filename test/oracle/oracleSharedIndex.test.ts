import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { join } from 'node:path';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { countRejectionsByReason, type Store } from '../../store/src';
import { mosquittoPath, startMosquitto, type MosquittoBroker } from '../helpers/brokers';
import { CAST, mined } from './chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { waitFor } from './waitFor';

const SEED = 'oracle-shared-index';
const DEVICES = 4;

const replays = (oracle: RunningOracle) => oracle.stats().rejections.replay ?? 0;

// Each instance subscribes without a share group: the broker gives both every message, as a replay of each one to
// the other instance. The store decides in the insert's transaction, whatever each instance's memory says.
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

  it('accepts each message once: the other instance refuses it as a replay, each snapshot indexed and anchored once', async function () {
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
    // Every message reached both: one accepted it, the other refused it as a replay.
    await waitFor(
      () =>
        a.stats().received === b.stats().received &&
        a.stats().accepted + b.stats().accepted + replays(a) + replays(b) >= 2 * a.stats().received,
      60_000,
      'every message judged by both instances',
    );
    const received = a.stats().received;
    // Each message judged by both: accepted by one, refused as a replay by the other (never accepted twice).
    expect(a.stats().accepted + b.stats().accepted).to.equal(received);
    expect(replays(a) + replays(b)).to.equal(received);
    const other = Object.entries({ ...a.stats().rejections, replay: 0 }).filter(([, count]) => count > 0);
    expect(other).to.deep.equal([]);

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
    // The refusals are recorded in the shared index, with the replay reason.
    expect((await countRejectionsByReason(harness.index)).replay).to.equal(replays(a) + replays(b));

    expect(a.stats().duplicates + b.stats().duplicates).to.equal(0);

    // A snapshot accepted before, published again: the instance that indexed it completes the identical copy as a
    // duplicate (what a redelivery is); the other instance, which never indexed it, refuses it as a replay. Nothing
    // new is indexed.
    expect(snapshots.length).to.be.greaterThan(0);
    const before = [replays(a), replays(b)];
    const again = snapshots[0]!;
    await capture.publishAsync(again.topic, again.payload, { qos: 1 });
    await waitFor(
      () =>
        replays(a) + replays(b) === before[0]! + before[1]! + 1 && a.stats().duplicates + b.stats().duplicates === 1,
      20_000,
      'the copy completed by one instance and refused by the other',
    );
    const [refuser, indexer] = replays(a) === before[0]! + 1 ? [a, b] : [b, a];
    expect(indexer.stats().duplicates).to.equal(1);
    expect(refuser.stats().duplicates).to.equal(0);
    expect(await harness.anchoredSnapshots()).to.have.length(produced);
  });
});
