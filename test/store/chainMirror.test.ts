import { expect } from 'chai';
import {
  StoreError,
  chainEventBlocks,
  chainEventsAfter,
  chainEventsOf,
  deleteChainEventsAfter,
  getCursor,
  listCursors,
  lockCursor,
  recordChainEvent,
  recordChainEvents,
  setCursor,
  takeChainEventsAfter,
  withTransaction,
  type StoredChainEvent,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const TX = `0x${'12'.repeat(32)}`;
const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const blockHash = (block: number, fork = 0) => `0x${(block + fork * 0x10000).toString(16).padStart(64, '0')}`;

function event(block: number, logIndex: number, subject: string, fields: Partial<StoredChainEvent> = {}) {
  return {
    block,
    logIndex,
    blockHash: blockHash(block),
    tx: TX,
    contract: 'TwinRegistry',
    name: 'TwinListed',
    subject,
    payload: { price: '1' },
    ...fields,
  } satisfies StoredChainEvent;
}

/** Waits until some session waits for an advisory lock (a transaction blocked in lockCursor). */
async function untilWaitingForAdvisoryLock(store: Store): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (rows[0]!.n > 0) return;
    await new Promise((done) => setTimeout(done, 10));
  }
  expect.fail('no transaction waited for the cursor lock');
}

describe('store: the chain event log and cursors', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  beforeEach(async function () {
    database = await createTestDatabase();
    store = await database.open();
  });

  describe('when chain events are logged', function () {
    it('logs them once per (block, log index), by subject in any case, and deletes above a block', async function () {
      expect(await recordChainEvent(store, event(5, 0, deviceIdOf(1)))).to.equal(true);
      expect(await recordChainEvent(store, event(5, 0, deviceIdOf(1)))).to.equal(false);
      await recordChainEvent(store, event(5, 1, ALICE, { contract: 'EntityRegistry', payload: { a: [1, 'x"\\'] } }));
      await recordChainEvent(store, event(8, 0, deviceIdOf(1)));
      expect((await chainEventsOf(store, deviceIdOf(1))).map((row) => row.block)).to.deep.equal([5, 8]);
      expect((await chainEventsOf(store, ALICE.toLowerCase()))[0]).to.deep.equal(
        event(5, 1, ALICE, { contract: 'EntityRegistry', payload: { a: [1, 'x"\\'] } }),
      );
      expect((await chainEventBlocks(store)).map((row) => row.block)).to.deep.equal([5, 8]);
      expect((await chainEventBlocks(store))[1]!.hash).to.equal(blockHash(8));
      expect(await chainEventsAfter(store, 5)).to.have.length(1);
      expect(await deleteChainEventsAfter(store, 5)).to.equal(1);
      expect((await chainEventBlocks(store)).map((row) => row.block)).to.deep.equal([5]);
      expect(await deleteChainEventsAfter(store, -1)).to.equal(2); // below a deployment at block 0
    });

    it('logs many in one statement, telling which were new, in the order given', async function () {
      await recordChainEvent(store, event(3, 0, deviceIdOf(2)));
      const added = await recordChainEvents(store, [
        event(3, 0, deviceIdOf(2)), // already logged
        event(3, 1, deviceIdOf(2), { payload: { quote: 'it\'s "odd" \\ {}' } }),
        event(4, 0, deviceIdOf(3)),
        event(4, 0, deviceIdOf(3)), // twice in the call
        ...Array.from({ length: 300 }, (_, n) => event(10 + n, 0, deviceIdOf(4))),
      ]);
      expect(added.slice(0, 4)).to.deep.equal([false, true, true, false]);
      expect(added.slice(4).every(Boolean)).to.equal(true);
      expect((await chainEventsOf(store, deviceIdOf(2)))[1]!.payload).to.deep.equal({ quote: 'it\'s "odd" \\ {}' });
      expect(await chainEventsOf(store, deviceIdOf(4))).to.have.length(300);
      // Bounded listings: the first `limit` in chain order; a limit that is no positive integer is refused.
      expect((await chainEventsOf(store, deviceIdOf(4), { limit: 3 })).map((row) => row.block)).to.deep.equal([
        10, 11, 12,
      ]);
      expect((await chainEventsAfter(store, 100, { limit: 2 })).map((row) => row.block)).to.deep.equal([101, 102]);
      expect((await chainEventBlocks(store, { limit: 1 })).map((row) => row.block)).to.deep.equal([3]);
      const nan = (await rejectionOf(chainEventsOf(store, deviceIdOf(4), { limit: Number.NaN }))) as StoreError;
      expect(nan.shortMessage).to.equal('Invalid page size.');
      expect(await recordChainEvents(store, [])).to.deep.equal([]);
      const bad = (await rejectionOf(
        recordChainEvents(store, [event(1, 0, 'x', { blockHash: 'nope' })]),
      )) as StoreError;
      expect(bad.shortMessage).to.equal('Invalid block hash.');
    });

    it('records an event once when instances record it at the same moment', async function () {
      const other = await database.open();
      const added = await Promise.all(
        [store, other, store, other].map((db) =>
          recordChainEvents(db, [event(20, 0, deviceIdOf(5)), event(20, 1, deviceIdOf(5))]),
        ),
      );
      expect(added.flat().filter(Boolean)).to.have.length(2);
    });

    it('logs payloads and subjects holding U+0000 with U+FFFD in its place, finding them the same way', async function () {
      const odd = event(30, 0, 'odd\u0000subject', {
        payload: { note: 'a\u0000b', ['k\u0000']: ['\u0000'], raw: '\\u0000' },
      });
      expect(await recordChainEvent(store, odd)).to.equal(true);
      expect(await recordChainEvents(store, [odd])).to.deep.equal([false]);
      const [stored] = await chainEventsOf(store, 'odd\u0000subject');
      expect(stored!.subject).to.equal('odd\uFFFDsubject');
      expect(stored!.payload).to.deep.equal({ note: 'a\uFFFDb', ['k\uFFFD']: ['\uFFFD'], raw: '\\u0000' });
    });

    it('takes the events above a block in one statement, in chain order', async function () {
      await recordChainEvents(store, [event(9, 1, deviceIdOf(6)), event(7, 0, deviceIdOf(6)), event(9, 0, ALICE)]);
      const taken = await takeChainEventsAfter(store, 6);
      expect(taken.map((row) => `${row.block}:${row.logIndex}`)).to.deep.equal(['7:0', '9:0', '9:1']);
      expect(await chainEventBlocks(store)).to.deep.equal([]);
    });
  });

  describe('when cursors are kept', function () {
    it('keeps them across a reopen, the hash in lower case', async function () {
      expect(await getCursor(store, 'chain-mirror')).to.equal(undefined);
      await setCursor(store, { name: 'chain-mirror', lastProcessedBlock: 41, lastBlockHash: `0x${'AB'.repeat(32)}` });
      await setCursor(
        store,
        { name: 'chain-mirror', lastProcessedBlock: 42, lastBlockHash: `0x${'CD'.repeat(32)}` },
        1_000,
      );
      await setCursor(store, { name: 'other', lastProcessedBlock: -1, lastBlockHash: null });
      await store.close();
      const reopened = await database.open();
      expect(await getCursor(reopened, 'chain-mirror')).to.deep.equal({
        name: 'chain-mirror',
        lastProcessedBlock: 42,
        lastBlockHash: `0x${'cd'.repeat(32)}`,
        updatedAt: '1970-01-01T00:00:01.000Z',
      });
      expect((await listCursors(reopened)).map((cursor) => cursor.name)).to.deep.equal(['chain-mirror', 'other']);
      const bad = (await rejectionOf(
        setCursor(reopened, { name: 'x', lastProcessedBlock: 1.5, lastBlockHash: null }),
      )) as StoreError;
      expect(bad.shortMessage).to.equal('Invalid last processed block.');
    });

    it('lockCursor makes a second mover wait for the first and read what it committed', async function () {
      let release: () => void = () => undefined;
      let locked: () => void = () => undefined;
      const held = new Promise<void>((done) => (release = done));
      const holding = new Promise<void>((done) => (locked = done));
      const first = withTransaction(store, async (tx) => {
        expect(await lockCursor(tx, 'chain-mirror')).to.equal(undefined); // a cursor not written yet is locked too
        await setCursor(tx, { name: 'chain-mirror', lastProcessedBlock: 10, lastBlockHash: blockHash(10) });
        locked();
        await held;
      });
      await holding; // the first holds the lock before the second asks
      let secondRead = false;
      const second = withTransaction(store, async (tx) => {
        const cursor = await lockCursor(tx, 'chain-mirror');
        secondRead = true;
        return cursor;
      });
      await untilWaitingForAdvisoryLock(store);
      expect(secondRead).to.equal(false);
      // Another cursor's lock is free meanwhile.
      expect(await withTransaction(store, (tx) => lockCursor(tx, 'another'))).to.equal(undefined);
      release();
      await first;
      expect(await second).to.include({ lastProcessedBlock: 10, lastBlockHash: blockHash(10) });
    });

    it('applies a range once when two instances sync it from one base at the same moment', async function () {
      const other = await database.open();
      await setCursor(store, { name: 'chain-mirror', lastProcessedBlock: 100, lastBlockHash: blockHash(100) });
      const base = { block: 100, hash: blockHash(100) };
      const range = [event(101, 0, deviceIdOf(7)), event(102, 0, deviceIdOf(7))];
      // What a mirror's range transaction does: lock, compare the cursor with its base, apply, move the cursor.
      const sync = (db: Store) =>
        withTransaction(db, async (tx) => {
          const current = await lockCursor(tx, 'chain-mirror');
          if (current?.lastProcessedBlock !== base.block || current.lastBlockHash !== base.hash) return 'moved';
          const added = await recordChainEvents(tx, range);
          await setCursor(tx, { name: 'chain-mirror', lastProcessedBlock: 102, lastBlockHash: blockHash(102) });
          return added.filter(Boolean).length;
        });
      const results = await Promise.all([sync(store), sync(other), sync(store), sync(other)]);
      expect(results.filter((result) => result === 2)).to.have.length(1);
      expect(results.filter((result) => result === 'moved')).to.have.length(3);
      expect(await getCursor(store, 'chain-mirror')).to.include({ lastProcessedBlock: 102 });
    });
  });

  describe('when a reorganisation is rewound while another instance applies', function () {
    it('lets the one that locks the cursor first win; the other sees the cursor moved and writes nothing', async function () {
      const other = await database.open();
      const name = 'chain-mirror';
      await recordChainEvents(store, [
        event(50, 0, deviceIdOf(8)),
        event(51, 0, deviceIdOf(8)),
        event(52, 0, deviceIdOf(8)),
      ]);
      await setCursor(store, { name, lastProcessedBlock: 52, lastBlockHash: blockHash(52) });
      const fork = { block: 50, hash: blockHash(50) };
      // The rewind: lock, check the cursor is where the fork was searched from, take the events above the fork.
      const rewind = (db: Store) =>
        withTransaction(db, async (tx) => {
          const current = await lockCursor(tx, name);
          if (current?.lastProcessedBlock !== 52) return 'moved';
          const undone = await takeChainEventsAfter(tx, fork.block);
          await setCursor(tx, { name, lastProcessedBlock: fork.block, lastBlockHash: fork.hash });
          return undone.length;
        });
      // A range read on the old chain, from the old cursor.
      const apply = (db: Store) =>
        withTransaction(db, async (tx) => {
          const current = await lockCursor(tx, name);
          if (current?.lastProcessedBlock !== 52 || current.lastBlockHash !== blockHash(52)) return 'moved';
          await recordChainEvents(tx, [event(53, 0, deviceIdOf(8))]);
          await setCursor(tx, { name, lastProcessedBlock: 53, lastBlockHash: blockHash(53) });
          return 'applied';
        });
      const [rewound, applied] = await Promise.all([rewind(store), apply(other)]);
      const blocks = (await chainEventBlocks(store)).map((row) => row.block);
      const cursor = await getCursor(store, name);
      if (rewound === 2) {
        expect(applied).to.equal('moved'); // nothing of the old chain written above the fork
        expect(blocks).to.deep.equal([50]);
        expect(cursor).to.include({ lastProcessedBlock: 50 });
      } else {
        expect(applied).to.equal('applied'); // the range went first; the rewind, searched from 52, stood back
        expect(rewound).to.equal('moved');
        expect(blocks).to.deep.equal([50, 51, 52, 53]);
        expect(cursor).to.include({ lastProcessedBlock: 53 });
      }
    });
  });
});
