import { expect } from 'chai';
import { ConfigError } from '../../twin-core/src/config/errors';
import { StoreError, loadStoreConfig, openStore, redactUrl, withTransaction, type Store } from '../../store/src';
import { startTcpProxy } from '../helpers/tcpProxy';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('store: pool, transactions, errors and config', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let store: Store;
  before(async function () {
    db = await createTestDatabase();
    store = await db.open({ poolSize: 4 });
    await store.query('CREATE TABLE counter (n int NOT NULL)');
  });

  describe('when a transaction runs', function () {
    it('commits what its work wrote, or rolls it all back when the work throws', async function () {
      await withTransaction(store, (tx) => tx.query('INSERT INTO counter VALUES (1), (2)'));
      await rejectionOf(
        withTransaction(store, async (tx) => {
          await tx.query('INSERT INTO counter VALUES (100)');
          throw new Error('stop');
        }),
      );
      const { rows } = await store.query<{ n: number }>('SELECT n FROM counter ORDER BY n');
      expect(rows.map((row) => row.n)).to.deep.equal([1, 2]);
    });

    it('refuses an isolation level it does not know, naming it, before any SQL', async function () {
      const injected = 'serializable; DROP TABLE counter; --' as 'serializable';
      const error = (await rejectionOf(
        withTransaction(store, () => Promise.resolve(), { isolation: injected }),
      )) as StoreError;
      expect(error.shortMessage).to.equal('Invalid isolation level.');
      expect((await store.query<{ n: number }>('SELECT count(*)::int AS n FROM counter')).rows[0]!.n).to.be.a('number');
    });

    it('cancels a statement beyond its bound (SET LOCAL statement_timeout), as a StoreError with the SQL state', async function () {
      const error = (await rejectionOf(
        withTransaction(store, (tx) => tx.query('SELECT pg_sleep(5)'), { statementTimeoutMs: 100 }),
      )) as StoreError;
      expect(error).to.be.instanceOf(StoreError);
      expect(error.sqlState).to.equal('57014'); // query_canceled
      expect(error.details).to.contain('statement timeout');
    });

    it('ends a transaction idle beyond its bound, and the pool goes on with a fresh connection', async function () {
      const error = await rejectionOf(
        withTransaction(
          store,
          async (tx) => {
            await tx.query('SELECT 1');
            await sleep(700);
            await tx.query('SELECT 2');
          },
          { idleInTransactionTimeoutMs: 200 },
        ),
      );
      expect(error).to.be.instanceOf(StoreError);
      const { rows } = await store.query<{ ok: number }>('SELECT 1 AS ok');
      expect(rows).to.deep.equal([{ ok: 1 }]);
    });

    it('runs a serializable transaction again after a serialization failure', async function () {
      let runs = 0;
      let arrived = 0;
      const work = () =>
        withTransaction(
          store,
          async (tx) => {
            runs += 1;
            const { rows } = await tx.query<{ total: number }>('SELECT coalesce(sum(n), 0)::int AS total FROM counter');
            arrived += 1;
            while (arrived < 2) await sleep(5); // both have read before either writes: one must fail at first
            await tx.query('INSERT INTO counter VALUES ($1)', [rows[0]!.total + 1000]);
          },
          { isolation: 'serializable' },
        );
      await Promise.all([work(), work()]);
      expect(runs).to.be.greaterThan(2);
      const { rows } = await store.query<{ n: number }>('SELECT n FROM counter WHERE n >= 1000 ORDER BY n');
      expect(rows.map((row) => row.n)).to.deep.equal([1003, 2006]); // the retried one saw the other's row: serialised
    });

    it('prepares a named statement once per connection', async function () {
      const names = await withTransaction(store, async (tx) => {
        await tx.query({ name: 'test.counter', text: 'SELECT count(*) FROM counter' });
        await tx.query({ name: 'test.counter', text: 'SELECT count(*) FROM counter' });
        const { rows } = await tx.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
        return rows.map((row) => row.name);
      });
      expect(names.filter((name) => name === 'test.counter')).to.have.length(1);
    });
  });

  describe('when the pool is full', function () {
    it('uses at most poolSize connections', async function () {
      const small = await openStore({ databaseUrl: db.url, poolSize: 2, applicationName: 'store-pool-test' });
      try {
        const running = Promise.all([1, 2, 3, 4, 5].map(() => small.query('SELECT pg_sleep(0.3)')));
        // Poll (no fixed sleep): the pool's connections show up as they connect; more than 2 must never be seen.
        const counts: number[] = [];
        const deadline = Date.now() + 30_000;
        while (counts.at(-1) !== 2 && Date.now() < deadline) {
          const { rows } = await store.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'store-pool-test'`,
          );
          counts.push(rows[0]!.n);
          if (counts.at(-1) !== 2) await sleep(10);
        }
        await running;
        expect(counts.at(-1)).to.equal(2);
        expect(Math.max(...counts)).to.equal(2);
      } finally {
        await small.close();
      }
    });
  });

  describe('when the network drops packets silently (no reset)', function () {
    it('fails the query client-side at the statement timeout + 5 s, and keeps TCP keepalives on', async function () {
      const url = new URL(db.url);
      const proxy = await startTcpProxy(Number(url.port));
      url.port = String(proxy.port);
      const cutOff = await openStore({ databaseUrl: url.toString(), statementTimeoutMs: 200 });
      try {
        expect(cutOff.pool.options).to.include({ keepAlive: true, query_timeout: 5_200 });
        expect((await cutOff.query<{ n: number }>('SELECT 1 AS n')).rows).to.deep.equal([{ n: 1 }]);
        proxy.stall(); // the server's statement_timeout cannot reach the client any more
        const error = (await rejectionOf(cutOff.query('SELECT pg_sleep(60)'))) as StoreError;
        expect(error).to.be.instanceOf(StoreError);
        expect(error.details).to.match(/timeout/i);
      } finally {
        await proxy.close();
        await cutOff.close();
      }
    });
  });

  describe('when the server is older than the store needs', function () {
    it('is refused at connect, the error naming both versions', async function () {
      // No PostgreSQL 14 here: the same check, with the minimum raised above this server's version.
      const minimum = store.serverVersion + 1;
      const error = (await rejectionOf(openStore({ databaseUrl: db.url, minServerVersion: minimum }))) as StoreError;
      expect(error.shortMessage).to.equal('The PostgreSQL server is too old for the store.');
      expect(error.details).to.contain(`server_version_num ${store.serverVersion}`).and.contain(`needs ${minimum}`);
      expect(store.serverVersion).to.be.at.least(150_000);
    });
  });

  describe('when the connection fails', function () {
    it('names the server without the password', async function () {
      const url = new URL(db.url);
      url.password = 'wrong-secret-7431';
      const error = (await rejectionOf(openStore({ databaseUrl: url.toString() }))) as StoreError;
      expect(error).to.be.instanceOf(StoreError);
      expect(error.sqlState).to.equal('28P01'); // invalid_password
      expect(error.message).to.contain(`${url.hostname}:${url.port}`);
      expect(error.message).not.to.contain('wrong-secret-7431');
      expect(redactUrl(url.toString())).to.contain(':***@');
    });
  });

  describe('when the config is loaded', function () {
    it('reads DATABASE_URL and STORE_* with documented defaults', function () {
      const config = loadStoreConfig({
        environment: { DATABASE_URL: 'postgres://app:pw@db.example:5432/index', STORE_POOL_SIZE: '4' },
      });
      expect(config).to.deep.include({
        databaseUrl: 'postgres://app:pw@db.example:5432/index',
        poolSize: 4,
        statementTimeoutMs: 30_000,
        idleInTransactionTimeoutMs: 60_000,
        transactionAttempts: 5,
        embeddedDataDir: '.data/postgres',
        embeddedPort: 0,
      });
    });

    it('names each bad field, never showing the database URL', function () {
      let error: unknown;
      try {
        loadStoreConfig({ environment: { DATABASE_URL: 'mysql://app:hunter2@db/x', STORE_POOL_SIZE: '0' } });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      const issues = (error as ConfigError).issues.join('\n');
      expect(issues).to.contain('DATABASE_URL: must be a postgres:// or postgresql:// URL (got <redacted>)');
      expect(issues).to.contain('STORE_POOL_SIZE');
      expect((error as Error).message).not.to.contain('hunter2');
    });
  });
});
