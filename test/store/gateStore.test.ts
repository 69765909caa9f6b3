import { expect } from 'chai';
import { StoreError, gateStore, getTwin, isTransientStoreError, withTransaction, type Store } from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';

const sleepQuery = (store: Store) => store.query('SELECT pg_sleep(0.02)');

describe('gateStore and isTransientStoreError (a burst on a small pool)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  before(async () => {
    database = await createTestDatabase();
    // Two connections, and a pool wait of 150 ms at most: what a burst of thousands runs into.
    store = await database.open({ poolSize: 2, connectTimeoutMs: 150 });
  });

  it('without the gate a burst times out in the pool; the error is transient', async function () {
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => sleepQuery(store)));
    const failed = results.filter((result) => result.status === 'rejected');
    expect(failed.length).to.be.greaterThan(0);
    const error = (failed[0] as PromiseRejectedResult).reason as Error;
    expect(error.message).to.match(/timeout exceeded when trying to connect/);
    expect(isTransientStoreError(error)).to.equal(true);
  });

  it('through the gate the same burst waits in memory and every query and transaction succeeds', async function () {
    const gated = gateStore(store, { slots: 2 });
    const work = Array.from({ length: 60 }, (_, n) =>
      n % 2 === 0
        ? sleepQuery(gated)
        : withTransaction(gated, async (tx) => (await tx.query('SELECT pg_sleep(0.02)')).rowCount),
    );
    const results = await Promise.allSettled(work);
    expect(results.filter((result) => result.status === 'rejected')).to.deep.equal([]);
    const stats = gated.gate.stats();
    expect(stats.peakWaiting).to.be.greaterThan(30);
    expect(stats).to.include({ slots: 2, running: 0, waiting: 0 });
    // The slots are given back after failures too: a failing query and a failing transaction.
    await gated.query('SELECT 1/0').catch(() => undefined);
    await withTransaction(gated, () => Promise.reject(new Error('work failed'))).catch(() => undefined);
    expect(gated.gate.stats().running).to.equal(0);
    expect(await getTwin(gated, `0x${'1'.repeat(64)}`)).to.equal(undefined);
  });

  it('tells passing failures from lasting ones', async function () {
    const division = await store.query('SELECT 1/0').catch((error: unknown) => error);
    expect(division).to.be.instanceOf(StoreError);
    expect((division as StoreError).sqlState).to.equal('22012');
    expect(isTransientStoreError(division)).to.equal(false);
    const cancelled = await withTransaction(store, (tx) => tx.query('SELECT pg_sleep(1)'), {
      statementTimeoutMs: 20,
    }).catch((error: unknown) => error);
    expect((cancelled as StoreError).sqlState).to.equal('57014');
    expect(isTransientStoreError(cancelled)).to.equal(true);
    expect(isTransientStoreError(new StoreError('x', { sqlState: '40001' }))).to.equal(true);
    expect(isTransientStoreError(new StoreError('x', { sqlState: '57P01' }))).to.equal(true);
    expect(isTransientStoreError(new StoreError('x', { sqlState: '08006' }))).to.equal(true);
    expect(isTransientStoreError(new StoreError('x', { sqlState: '23505' }))).to.equal(false);
    expect(isTransientStoreError(new Error('Invalid DeviceID.'))).to.equal(false);
    expect(() => gateStore(store, { slots: 0 })).to.throw(StoreError, /Invalid store gate/);
  });
});
