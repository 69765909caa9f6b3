import { expect } from 'chai';
import { connect } from 'mqtt';
import { generatePrivateKey, signDeviceMessage } from '../../twin-core/src';
import { join } from 'node:path';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import type { Store } from '../../store/src';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../helpers/brokers';
import { CAST, mined } from './chain/deployOnNode';
import { waitFor } from './waitFor';
import { startOracleHarness, type OracleHarness } from './oracleHarness';

const SEED = 'oracle-shared';
const DEVICES = 6;

describe('Two oracle instances on one MQTT 5 shared subscription (Mosquitto)', function () {
  this.timeout(240_000);
  let harness: OracleHarness;
  let broker: MosquittoBroker;
  const oracles: RunningOracle[] = [];
  const stores: Store[] = [];
  const problems: string[] = [];

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
    for (const store of stores) await store.close().catch(() => undefined);
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
      // A pool of its own per instance, on the harness's database.
      const index = await harness.database.open();
      stores.push(index);
      oracles.push(
        await runOracle(
          config,
          (level, message, fields) => {
            if (level !== 'info') problems.push(`${instance.name} ${level}: ${message} ${JSON.stringify(fields)}`);
          },
          { index },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Both instances warmed first (their verifier threads start with their first message): a device's first
    // message handed to a cold instance while the other judges its later ones would be judged below the numbers
    // the other accepted, a known limit for status and static messages (oracle README).
    const warmer = connect(broker.url, { protocolVersion: 5 });
    await new Promise((resolve) => warmer.once('connect', resolve));
    for (let attempt = 0; attempt < 50 && oracles.some((oracle) => oracle.stats().received === 0); attempt++) {
      // A signed message of no twin: checked on a verifier thread, then refused as unknown.
      const stranger = signDeviceMessage(
        {
          v: 1,
          kind: 'telemetry',
          deviceId: `0x${'0e'.repeat(32)}`,
          seq: attempt,
          ts: new Date().toISOString(),
          body: {},
        } as never,
        generatePrivateKey(),
      );
      await warmer.publishAsync(`twins/0x${'0e'.repeat(32)}/telemetry`, JSON.stringify(stranger), { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await warmer.endAsync();
    const refusedOf = (oracle: RunningOracle) =>
      Object.values(oracle.stats().rejections).reduce((sum, count) => sum + count, 0);
    await waitFor(() => oracles.every((oracle) => refusedOf(oracle) > 0), 10_000, 'both instances warmed');
    const warm = oracles.map((oracle) => ({ ...oracle.stats().rejections }));

    const produced = await harness.publishFromDevices(broker.url, 4);

    await waitFor(
      async () => oracles.reduce((sum, oracle) => sum + oracle.stats().anchoredSnapshots, 0) >= produced,
      90_000,
      'every snapshot anchored',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${problems.slice(0, 20).join('\n')}`);
    });
    // One shared index: every snapshot once (its key is the device and the number), each in one confirmed batch;
    // both instances took a share of the messages.
    const rows = await harness.anchoredSnapshots();
    const keys = rows.map((row) => `${row.deviceId}:${row.seq}`);
    expect(new Set(keys).size).to.equal(keys.length);
    expect(rows.length).to.equal(produced);
    expect(rows.every((row) => row.status === 'confirmed')).to.equal(true);
    expect(oracles.every((oracle) => oracle.stats().accepted > 0)).to.equal(true);
    for (const row of rows) {
      expect(
        await harness.registry.anchor.verifySnapshot(row.root!, row.proof!, row.deviceId, row.seq, row.hash),
      ).to.equal(true);
    }
    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    expect(events.reduce((sum, event) => sum + Number(event.args.leafCount), 0)).to.equal(produced);
    // Nothing refused but the warm-up's junk.
    expect(
      oracles.every((oracle, position) =>
        Object.entries(oracle.stats().rejections).every(([reason, count]) => count === (warm[position]![reason] ?? 0)),
      ),
      `rejections: ${JSON.stringify(oracles.map((oracle) => oracle.stats().rejections))}\n${problems
        .filter((line) => line.includes('rejected'))
        .slice(0, 5)
        .join('\n')}`,
    ).to.equal(true);
  });
});
