import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { kill, startOracleProcess } from './oracleProcess';

const SEED = 'oracle-restart';
const DEVICES = 4;

describe('The oracle killed (SIGKILL) in the middle of a batch and restarted', function () {
  this.timeout(240_000);
  let harness: OracleHarness;
  let broker: AedesBroker;
  let oracle: ChildProcess | undefined;

  before(async () => {
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startAedes();
  });
  after(async () => {
    if (oracle) await kill(oracle, 'SIGKILL');
    await broker?.stop();
    await harness?.stop();
  });

  it('loses nothing and anchors nothing twice', async function () {
    const env = harness.oracleEnvironment(broker.url, {
      ORACLE_MQTT_PROTOCOL_VERSION: '4',
      ORACLE_MQTT_SHARED: 'false',
      ORACLE_BATCH_SIZE: '1000',
      ORACLE_BATCH_AGE_MS: '2500',
    });
    const first = startOracleProcess(env);
    oracle = first.child;
    await waitUntil(
      () => first.output().includes('oracle subscribed'),
      90_000,
      `the first oracle to subscribe\n${first.output()}`,
    );

    let killedOutput = '';
    const produced = await harness.publishFromDevices(broker.url, 5, async () => {
      await new Promise((resolveWait) => setTimeout(resolveWait, 2_000));
      await kill(oracle!, 'SIGKILL'); // mid-stream, with a batch open
      killedOutput = first.output();
    });

    const second = startOracleProcess(env);
    oracle = second.child;
    const dataDir = join(harness.directory, 'oracle');
    await waitUntil(
      () => {
        const rows = harness.anchoredSnapshots(dataDir);
        return rows.length >= produced && rows.every((row) => row.status === 'confirmed');
      },
      120_000,
      `every snapshot anchored after the restart\n${second.output()}`,
    );
    await kill(oracle, 'SIGTERM');
    oracle = undefined;

    const rows = harness.anchoredSnapshots(dataDir);
    expect(rows).to.have.length(produced);
    expect(killedOutput).to.contain('oracle subscribed');
    // Started as `npm run oracle` starts it (ts-node -T), its verifier threads run: none failed to start.
    expect(killedOutput + second.output()).to.not.contain('verifier thread failed');
    for (const row of rows) {
      expect(
        await harness.registry.anchor.verifySnapshot(row.root!, row.proof!, row.deviceId, row.seq, row.hash),
      ).to.equal(true);
    }
    // Nothing anchored twice: the leaves of every batch on chain add up to the snapshots, once each.
    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    const leaves = events.reduce((sum, event) => sum + Number(event.args.leafCount), 0);
    expect(leaves).to.equal(produced);
  });
});
