import { expect } from 'chai';
import { join } from 'node:path';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../helpers/brokers';
import { CAST, mined } from './chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { KuboStandIn } from '../blobs/kuboStandIn';

const SEED = 'oracle-peer-batches';
const DEVICES = 4;

/** Every snapshot in a running oracle's index with its batch, as the API would serve it (local batch IDs left out). */
function indexedSnapshots(oracle: RunningOracle) {
  return oracle.index
    .statement(
      `SELECT s.device_id, s.seq, s.collected_at, s.hash, s.cid, s.received_at, s.leaf_index, s.proof, b.root, b.status,
         b.tx_hash, b.block, b.chain_batch_id, b.manifest_cid
       FROM snapshots s LEFT JOIN batches b ON b.id = s.batch_id ORDER BY s.device_id, s.seq`,
    )
    .all() as {
    device_id: string;
    seq: number;
    hash: string;
    proof: string | null;
    root: string | null;
    status: string | null;
  }[];
}

describe('Two oracle instances importing each other’s batches (Mosquitto shared subscription, one IPFS: the Kubo RPC stand-in, not Kubo)', function () {
  this.timeout(120_000);
  let harness: OracleHarness;
  let broker: MosquittoBroker;
  let kubo: KuboStandIn;
  const oracles: RunningOracle[] = [];
  const warnings: string[] = [];

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startMosquitto();
    kubo = await KuboStandIn.start();
    // The second instance anchors with its own key, which also holds the oracle role.
    const second = harness.node.wallet(CAST.newSigner);
    await mined(harness.registry.entities.grantRole(await harness.registry.entities.ORACLE_ROLE(), second.address));
  });
  after(async () => {
    for (const oracle of oracles) await oracle.stop().catch(() => undefined);
    await broker?.stop();
    await kubo?.stop();
    await harness?.stop();
  });

  it('each index ends holding every anchored snapshot of every device, with a proof the contract accepts', async function () {
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
          ORACLE_PEER_BATCH_INTERVAL_MS: '300',
          IPFS_API_URL: kubo.url,
        }),
      });
      expect(config.ipfsApiUrl).to.equal(kubo.url);
      const oracle = await runOracle(config, (level, message, fields) => {
        if (level !== 'info') warnings.push(`${instance.name} ${level}: ${message} ${JSON.stringify(fields)}`);
      });
      expect(oracle.store.kind).to.equal('kubo');
      oracles.push(oracle);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    const produced = await harness.publishFromDevices(broker.url, 3);
    expect(produced).to.be.greaterThan(DEVICES);

    const complete = (oracle: RunningOracle) =>
      indexedSnapshots(oracle).filter((row) => row.status === 'confirmed' && row.proof !== null).length;
    await waitUntil(() => oracles.every((oracle) => complete(oracle) >= produced), 40_000, 'both indexes complete');

    const [a, b] = oracles.map(indexedSnapshots);
    expect(a).to.have.length(produced);
    expect(b).to.deep.equal(a); // the same rows: times, CIDs, roots, leaf indexes and proofs
    const devices = new Set(a!.map((row) => row.device_id));
    expect(devices.size).to.equal(DEVICES);
    for (const row of a!) {
      const proof = JSON.parse(row.proof!) as string[];
      expect(
        await harness.registry.anchor.verifySnapshot(row.root!, proof, row.device_id, row.seq, row.hash),
        `${row.device_id} #${row.seq}`,
      ).to.equal(true);
    }

    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    expect(events.reduce((sum, event) => sum + Number(event.args.leafCount), 0)).to.equal(produced);
    const [sa, sb] = oracles.map((oracle) => oracle.stats());
    expect(sa!.anchoredSnapshots).to.be.greaterThan(0);
    expect(sb!.anchoredSnapshots).to.be.greaterThan(0);
    expect([sa!.importedBatches, sa!.importedSnapshots]).to.deep.equal([sb!.anchoredBatches, sb!.anchoredSnapshots]);
    expect([sb!.importedBatches, sb!.importedSnapshots]).to.deep.equal([sa!.anchoredBatches, sa!.anchoredSnapshots]);
    expect([sa!.peerBatchFailures, sb!.peerBatchFailures]).to.deep.equal([0, 0]);
    expect(warnings.filter((line) => line.includes('peer batch'))).to.deep.equal([]);
  });
});
