import { expect } from 'chai';
import { join } from 'node:path';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../helpers/brokers';
import { CAST, mined } from './chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from './oracleHarness';

const SEED = 'oracle-shared';
const DEVICES = 6;

describe('Two oracle instances on one MQTT 5 shared subscription (Mosquitto)', function () {
  this.timeout(240_000);
  let harness: OracleHarness;
  let broker: MosquittoBroker;
  const oracles: RunningOracle[] = [];

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startMosquitto();
    // The second instance anchors with its own key, which also holds the oracle role.
    const second = harness.node.wallet(CAST.newSigner);
    await mined(harness.registry.entities.grantRole(await harness.registry.entities.ORACLE_ROLE(), second.address));
  });
  after(async () => {
    for (const oracle of oracles) await oracle.stop().catch(() => undefined);
    await broker?.stop();
    await harness?.stop();
  });

  it('splits the messages between them and anchors every snapshot exactly once', async function () {
    const instances = [
      { key: harness.node.wallet(CAST.oracle).privateKey, name: 'a' },
      { key: harness.node.wallet(CAST.newSigner).privateKey, name: 'b' },
    ];
    for (const instance of instances) {
      const config = loadOracleConfig({
        environment: harness.oracleEnvironment(broker.url, {
          ORACLE_ORACLE_KEY: instance.key,
          ORACLE_DATA_DIR: join(harness.directory, `oracle-${instance.name}`),
          ORACLE_MQTT_CLIENT_ID: `twin-oracle-test-${instance.name}`,
        }),
      });
      expect(config.mqttProtocolVersion).to.equal(5);
      oracles.push(await runOracle(config));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    const produced = await harness.publishFromDevices(broker.url, 4);

    await waitUntil(
      () => oracles.reduce((sum, oracle) => sum + oracle.stats().anchoredSnapshots, 0) >= produced,
      90_000,
      'every snapshot anchored',
    );
    const [a, b] = instances.map((instance) =>
      harness.anchoredSnapshots(join(harness.directory, `oracle-${instance.name}`)),
    );
    expect(a!.length).to.be.greaterThan(0);
    expect(b!.length).to.be.greaterThan(0);
    const keys = (rows: typeof a) => rows!.map((row) => `${row.deviceId}:${row.seq}`);
    const overlap = keys(a).filter((key) => keys(b).includes(key));
    expect(overlap).to.deep.equal([]);
    expect(a!.length + b!.length).to.equal(produced);
    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    expect(events.reduce((sum, event) => sum + Number(event.args.leafCount), 0)).to.equal(produced);
    expect(oracles.every((oracle) => Object.values(oracle.stats().rejections).every((count) => count === 0))).to.equal(
      true,
    );
  });
});
