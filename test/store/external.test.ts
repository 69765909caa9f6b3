import { expect } from 'chai';
import pg from 'pg';
import {
  STORE_SCHEMA_VERSION,
  StoreError,
  claimUnbatchedSnapshots,
  ensureDatabase,
  getSnapshot,
  insertSnapshot,
  openStore,
  readSequenceLedger,
  startStore,
  loadStoreConfig,
} from '../../store/src';
import { startSystemCluster, systemPostgres, type SystemCluster } from '../helpers/debianPostgres';
import { rejectionOf } from '../helpers/thrownBy';

describe("store: an external server (the system's PostgreSQL, Debian's package) by DATABASE_URL", function () {
  this.timeout(120_000);
  let cluster: SystemCluster | undefined;
  let url: string;
  before(async function () {
    const { unavailable } = systemPostgres();
    if (unavailable !== undefined) {
      process.stdout.write(`      skipped: ${unavailable}\n`);
      this.skip();
    }
    cluster = await startSystemCluster();
    await ensureDatabase(cluster.url, 'twin_store');
    url = cluster.url.replace(/\/postgres$/, '/twin_store');
  });
  after(async function () {
    await cluster?.stop();
  });

  it('migrates, then writes and reads a snapshot, its ledger and its batch', async function () {
    const store = await startStore(loadStoreConfig({ environment: { DATABASE_URL: url, STORE_POOL_SIZE: '3' } }));
    try {
      expect(store.server).to.equal(undefined);
      expect(store.serverVersion).to.be.within(cluster!.major * 10_000, cluster!.major * 10_000 + 9_999);
      expect(store.schemaVersion).to.equal(STORE_SCHEMA_VERSION);
      expect(store.url).to.not.contain(new URL(url).password);
      const deviceId = `0x${'ab'.repeat(32)}`;
      const input = { deviceId, seq: 3, collectedAt: '2026-01-01T00:00:00.000Z', hash: '0x01', cid: 'bafy3' };
      expect((await insertSnapshot(store, input)).inserted).to.equal(true);
      expect((await insertSnapshot(store, input)).inserted).to.equal(false);
      expect(await readSequenceLedger(store).last(deviceId, 'snapshot')).to.equal(3);
      const claimed = await claimUnbatchedSnapshots(store);
      expect(claimed!.snapshots.map((s) => s.seq)).to.deep.equal([3]);
      expect(await getSnapshot(store, deviceId, 3)).to.deep.include({
        collectedAt: '2026-01-01T00:00:00.000Z',
        batchId: claimed!.batch.id,
      });
      // Case-insensitive addresses (the ICU collation `nocase`) work on this server too.
      await store.query(
        `INSERT INTO entities VALUES ('0xAbCd000000000000000000000000000000000001', 1, 'security', 'approved', 'e', '0x', 'c', 1, 1)`,
      );
      const duplicate = (await rejectionOf(
        store.query(
          `INSERT INTO entities VALUES ('0xabcd000000000000000000000000000000000001', 2, 'security', 'approved', 'e', '0x', 'c', 1, 1)`,
        ),
      )) as StoreError;
      expect(duplicate.sqlState).to.equal('23505');
    } finally {
      await store.close();
    }
    const again = await openStore({ databaseUrl: url, schema: 'check' });
    expect(again.schemaVersion).to.equal(STORE_SCHEMA_VERSION);
    await again.close();
  });

  it('refuses the database once its schema is newer than the code, naming both versions', async function () {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO schema_version (version, name) VALUES (${STORE_SCHEMA_VERSION + 1}, 'future')`);
    await client.end();
    const error = (await rejectionOf(openStore({ databaseUrl: url }))) as StoreError;
    expect(error.shortMessage).to.equal(`The store's database is newer than this code.`);
    expect(error.details)
      .to.contain(`schema version ${STORE_SCHEMA_VERSION + 1}`)
      .and.contain(`up to ${STORE_SCHEMA_VERSION}`);
  });
});
