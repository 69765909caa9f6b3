import { expect } from 'chai';
import pg from 'pg';
import { STORE_MIGRATIONS, STORE_SCHEMA_VERSION, StoreError, migrate, openStore } from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

async function client(url: string): Promise<pg.Client> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  return connection;
}

describe('store migrations and the schema version', function () {
  this.timeout(60_000);

  describe('when the database is empty', function () {
    let db: TestDatabase;
    beforeEach(async function () {
      db = await createTestDatabase({ empty: true });
    });

    it('applies every migration, each recorded in schema_version', async function () {
      const store = await db.open();
      expect(store.schemaVersion).to.equal(STORE_SCHEMA_VERSION);
      const { rows } = await store.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_version ORDER BY version',
      );
      expect(rows).to.deep.equal(STORE_MIGRATIONS.map(({ version, name }) => ({ version, name })));
      const tables = await store.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      expect(tables.rows.map((row) => row.tablename)).to.include.members([
        'twins',
        'snapshots',
        'batch_members',
        'snapshot_queue',
        'batches',
        'sequence_ledger',
        'telemetry_readings',
        'latest_telemetry',
        'alerts',
        'commands',
        'twin_states',
        'rejections',
        'rejection_counts',
        'notifications',
        'chain_cursor',
        'chain_events',
        'entities',
        'twin_updates',
        'twin_state_changes',
        'telemetry_batches',
        'events',
        'sequence_gaps',
        'security_device_states',
        'security_handled',
        'security_watched',
        'alert_acknowledgements',
      ]);
    });

    it('is idempotent on restart: a second start applies nothing and keeps the data', async function () {
      const first = await client(db.url);
      try {
        expect(await migrate(first)).to.deep.equal({
          from: 0,
          to: STORE_SCHEMA_VERSION,
          applied: STORE_MIGRATIONS.map((migration) => migration.version),
        });
        await first.query(`INSERT INTO chain_cursor VALUES ('mirror', 7, NULL, now())`);
        expect(await migrate(first)).to.deep.equal({
          from: STORE_SCHEMA_VERSION,
          to: STORE_SCHEMA_VERSION,
          applied: [],
        });
        const { rows } = await first.query('SELECT last_processed_block FROM chain_cursor');
        expect(rows).to.deep.equal([{ last_processed_block: '7' }]);
      } finally {
        await first.end();
      }
    });

    it('serialises concurrent migrators: each migration applied once, both end at the latest version', async function () {
      const clients = await Promise.all([1, 2, 3].map(() => client(db.url)));
      try {
        const results = await Promise.all(clients.map((connection) => migrate(connection)));
        expect(results.map((result) => result.to)).to.deep.equal([1, 1, 1].map(() => STORE_SCHEMA_VERSION));
        // Each migration is its own locked transaction, so the migrators may share the work: each applied once.
        expect(results.flatMap((result) => result.applied).sort((a, b) => a - b)).to.deep.equal(
          STORE_MIGRATIONS.map((migration) => migration.version),
        );
        const { rows } = await clients[0]!.query('SELECT count(*)::int AS n FROM schema_version');
        expect(rows[0].n).to.equal(STORE_SCHEMA_VERSION);
      } finally {
        await Promise.all(clients.map((connection) => connection.end()));
      }
    });

    it('refuses to serve a database that is not migrated when asked only to check', async function () {
      const error = await rejectionOf(db.open({ schema: 'check' }));
      expect(error).to.be.instanceOf(StoreError);
      expect((error as StoreError).details)
        .to.contain('schema version 0')
        .and.contain(`version ${STORE_SCHEMA_VERSION}`);
    });
  });

  describe('when the database is newer than the code', function () {
    it('is refused at start, the error naming both versions', async function () {
      const db = await createTestDatabase();
      const connection = await client(db.url);
      await connection.query(
        `INSERT INTO schema_version (version, name) VALUES (${STORE_SCHEMA_VERSION + 1}, 'later')`,
      );
      await connection.end();
      const error = (await rejectionOf(openStore({ databaseUrl: db.url }))) as StoreError;
      expect(error).to.be.instanceOf(StoreError);
      expect(error.shortMessage).to.equal(`The store's database is newer than this code.`);
      expect(error.details).to.contain(`schema version ${STORE_SCHEMA_VERSION + 1}`);
      expect(error.details).to.contain(`versions up to ${STORE_SCHEMA_VERSION}`);
      expect(error.message).not.to.contain(new URL(db.url).password);
    });
  });

  describe('when the database holds another schema under the same version', function () {
    it('is refused, naming both migration names', async function () {
      const db = await createTestDatabase();
      const connection = await client(db.url);
      await connection.query(`UPDATE schema_version SET name = 'someone else' WHERE version = 1`);
      await connection.end();
      const error = (await rejectionOf(openStore({ databaseUrl: db.url }))) as StoreError;
      expect(error.shortMessage).to.equal(`The store's database holds another schema.`);
      expect(error.details).to.contain('someone else').and.contain(STORE_MIGRATIONS[0]!.name);
    });
  });
});
