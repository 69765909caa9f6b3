import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { freePort, startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';
import { waitFor } from './waitFor';
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
      ORACLE_VERIFY_THREADS: '1',
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
    await waitFor(
      async () => {
        const rows = await harness.anchoredSnapshots();
        return rows.length >= produced && rows.every((row) => row.status === 'confirmed');
      },
      120_000,
      `every snapshot anchored after the restart\n${second.output()}`,
    );
    await kill(oracle, 'SIGTERM');
    oracle = undefined;

    const rows = await harness.anchoredSnapshots();
    expect(rows).to.have.length(produced);
    expect(killedOutput).to.contain('oracle subscribed');
    // Started as `npm run oracle` starts it (the bundle), its verifier threads run: none failed to start.
    expect(killedOutput + second.output()).to.not.contain('verifier thread failed');
    // …and checked what the restarted oracle received (its thread started with its first message).
    const stopped = second
      .output()
      .split('\n')
      .find((line) => line.includes('"oracle stopped"'));
    expect(stopped, second.output()).to.not.equal(undefined);
    expect((JSON.parse(stopped!) as { checks: { onThreads: number } }).checks.onThreads).to.be.greaterThan(0);
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

describe('The oracle killed (SIGKILL) after acknowledging snapshots it could not store yet', function () {
  this.timeout(240_000);
  let harness: OracleHarness;
  let broker: AedesBroker;
  let oracle: ChildProcess | undefined;

  before(async () => {
    harness = await startOracleHarness(`${SEED}-ledger`, 3);
    broker = await startAedes();
  });
  after(async () => {
    if (oracle) await kill(oracle, 'SIGKILL');
    await broker?.stop();
    await harness?.stop();
  });

  it('judges its journaled snapshots again as new after the restart: none is refused as a replay of itself', async function () {
    const base = {
      ORACLE_MQTT_PROTOCOL_VERSION: '4',
      ORACLE_MQTT_SHARED: 'false',
      ORACLE_BATCH_SIZE: '1000',
      ORACLE_BATCH_AGE_MS: '1000',
    };
    // Its IPFS (Kubo) unreachable: every snapshot is journaled, acknowledged and judged, and its IPFS write fails, so
    // none is indexed. An oracle that advanced its replay ledger on judging (saved every 500 ms) refused them all as
    // replays after the restart; the ledger now advances with the index insert only.
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const first = startOracleProcess(harness.oracleEnvironment(broker.url, { ...base, IPFS_API_URL: unreachable }));
    oracle = first.child;
    await waitUntil(() => first.output().includes('oracle subscribed'), 90_000, `the oracle\n${first.output()}`);
    const produced = await harness.publishFromDevices(broker.url, 3);
    const failures = () =>
      first
        .output()
        .split('\n')
        .filter((line) => line.includes('processing failed')).length;
    await waitUntil(() => failures() >= produced, 60_000, `${produced} failed IPFS writes\n${first.output()}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_500)); // past any periodic save
    await kill(oracle, 'SIGKILL');
    oracle = undefined;
    expect(produced).to.be.greaterThan(0);
    expect(await harness.anchoredSnapshots()).to.deep.equal([]);

    const second = startOracleProcess(harness.oracleEnvironment(broker.url, base));
    oracle = second.child;
    // (Its retained status messages, delivered again on subscribing, are refused as replays: they were processed.)
    await waitFor(
      async () => {
        const rows = await harness.anchoredSnapshots();
        return rows.length >= produced && rows.every((row) => row.status === 'confirmed');
      },
      60_000,
      `every journaled snapshot anchored after the restart\n${second.output()}`,
    );
    await kill(oracle, 'SIGTERM');
    oracle = undefined;
    const rows = await harness.anchoredSnapshots();
    expect(rows).to.have.length(produced);
    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    expect(events.reduce((sum, event) => sum + Number(event.args.leafCount), 0)).to.equal(produced);
  });
});
