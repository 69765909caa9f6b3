import { expect } from 'chai';
import {
  MAX_EVENT_PAYLOAD_BYTES,
  StoreError,
  createStoreFeed,
  pruneEvents,
  readEvents,
  recordEvent,
  withTransaction,
  type StoreEvent,
  type StoreFeed,
  type StoreFeedOptions,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) expect.fail(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** A feed and everything it emitted. */
type Followed = { feed: StoreFeed; events: StoreEvent[]; errors: StoreError[]; skipped: unknown[]; reconnects: number };

function follow(store: Store, options: StoreFeedOptions = {}): Followed {
  const feed = createStoreFeed(store, { pollIntervalMs: 0, ...options });
  const followed: Followed = { feed, events: [], errors: [], skipped: [], reconnects: 0 };
  feed.on('event', (event) => followed.events.push(event));
  feed.on('error', (error) => followed.errors.push(error));
  feed.on('skipped', (range) => followed.skipped.push(range));
  feed.on('connected', ({ reconnect }) => (followed.reconnects += reconnect ? 1 : 0));
  return followed;
}

const tags = (events: StoreEvent[]) => events.map((event) => (event.payload as { tag: string }).tag);

describe('store: the event outbox and its feed', function () {
  this.timeout(120_000);
  let writerA: Store;
  let writerB: Store;
  const feeds: StoreFeed[] = [];
  const open = (store: Store, options?: StoreFeedOptions) => {
    const followed = follow(store, options);
    feeds.push(followed.feed);
    return followed;
  };

  before(async function () {
    const db = await createTestDatabase();
    writerA = await db.open(); // two oracle instances' pools
    writerB = await db.open();
  });
  afterEach(async function () {
    await Promise.all(feeds.splice(0).map((feed) => feed.close()));
  });

  describe('when two instances write and two instances follow', function () {
    it('delivers every committed event once, in the same order to both feeds', async function () {
      const first = open(writerA);
      const second = open(writerB);
      await Promise.all([first.feed.ready, second.feed.ready]);
      const written: string[] = [];
      await Promise.all(
        Array.from({ length: 60 }, (_, t) =>
          withTransaction(t % 2 === 0 ? writerA : writerB, async (tx) => {
            for (let i = 0; i <= t % 3; i += 1) {
              await recordEvent(tx, { kind: 'telemetry', deviceId: device(t % 5), payload: { tag: `${t}.${i}` } });
              written.push(`${t}.${i}`);
            }
          }),
        ),
      );
      await waitFor(
        () => first.events.length >= written.length && second.events.length >= written.length,
        'both feeds',
      );
      await new Promise((done) => setTimeout(done, 100)); // nothing more arrives
      expect(first.events).to.have.length(written.length);
      expect(second.events).to.deep.equal(first.events);
      expect([...tags(first.events)].sort()).to.deep.equal([...written].sort());
      const seqs = first.events.map((event) => event.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).to.equal(seqs.length);
      // A transaction's events are numbered together, in the order recorded.
      for (const [position, tag] of tags(first.events).entries()) {
        const [t, i] = tag.split('.').map(Number);
        if (i! > 0) expect(tags(first.events)[position - 1]).to.equal(`${t}.${i! - 1}`);
      }
      expect(first.events[0]).to.include({ kind: 'telemetry' });
      expect(first.events[0]!.deviceId).to.match(/^0x0{63}[0-4]$/);
      expect(first.errors).to.deep.equal([]);
    });

    it('delivers a slow transaction that recorded first but committed last, after the fast one', async function () {
      const followed = open(writerA);
      await followed.feed.ready;
      let release!: () => void;
      const held = new Promise<void>((done) => (release = done));
      let recorded!: () => void;
      const slowRecorded = new Promise<void>((done) => (recorded = done));
      const slow = withTransaction(writerA, async (tx) => {
        await recordEvent(tx, { kind: 'snapshot', payload: { tag: 'slow' } });
        recorded();
        await held;
      });
      await slowRecorded;
      await withTransaction(writerB, (tx) => recordEvent(tx, { kind: 'snapshot', payload: { tag: 'fast' } }));
      await waitFor(() => followed.events.length === 1, 'the fast event');
      expect(tags(followed.events)).to.deep.equal(['fast']);
      release();
      await slow;
      await waitFor(() => followed.events.length === 2, 'the slow event');
      expect(tags(followed.events)).to.deep.equal(['fast', 'slow']);
      // The slow one took the lower row id: a reader following ids past the fast one would have skipped it.
      const { rows } = await writerA.query<{ tag: string; id: number; seq: number }>(
        `SELECT payload->>'tag' AS tag, id, seq FROM events WHERE payload->>'tag' IN ('slow', 'fast') ORDER BY id`,
      );
      expect(rows.map((row) => row.tag)).to.deep.equal(['slow', 'fast']);
      expect(rows[0]!.seq).to.be.greaterThan(rows[1]!.seq);
    });

    it('never delivers the event of a transaction that rolled back', async function () {
      const followed = open(writerB);
      await followed.feed.ready;
      await rejectionOf(
        withTransaction(writerA, async (tx) => {
          await recordEvent(tx, { kind: 'alert', payload: { tag: 'rolled-back' } });
          throw new Error('the change failed');
        }),
      );
      await recordEvent(writerA, { kind: 'alert', payload: { tag: 'committed' } });
      await waitFor(() => followed.events.length === 1, 'the committed event');
      await new Promise((done) => setTimeout(done, 100));
      expect(tags(followed.events)).to.deep.equal(['committed']);
    });
  });

  describe('when a feed resumes or reads a backlog', function () {
    it('starts after a given cursor, and reads a backlog a page at a time, in order', async function () {
      const { events } = await readEvents(writerA, { after: 0, limit: 10_000 });
      const cursor = events[events.length - 1]!.seq;
      await withTransaction(writerA, async (tx) => {
        for (let i = 0; i < 95; i += 1) await recordEvent(tx, { kind: 'chain', payload: { tag: `b${i}` } });
      });
      const followed = open(writerB, { from: cursor, pageSize: 10 });
      await followed.feed.ready;
      expect(tags(followed.events)).to.deep.equal(Array.from({ length: 95 }, (_, i) => `b${i}`));
      expect(followed.feed.cursor).to.equal(followed.events[94]!.seq);
      const fromNow = open(writerB);
      await fromNow.feed.ready;
      expect(fromNow.events).to.deep.equal([]); // `now`: no history
      expect(fromNow.feed.cursor).to.equal(followed.feed.cursor);
    });
  });

  describe('when the server ends the listening connection', function () {
    it('reconnects, and catches up on what was committed meanwhile, each event once', async function () {
      const followed = open(writerA, { applicationName: 'feed-reconnect-test', reconnectDelayMs: 1_000 });
      await followed.feed.ready;
      await recordEvent(writerB, { kind: 'state', payload: { tag: 'before' } });
      await waitFor(() => followed.events.length === 1, 'the first event');
      const { rows } = await writerB.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE application_name = 'feed-reconnect-test' AND datname = current_database()`,
      );
      expect(rows).to.deep.equal([{ ended: true }]);
      for (let i = 0; i < 5; i += 1) await recordEvent(writerB, { kind: 'state', payload: { tag: `during${i}` } });
      expect(followed.reconnects).to.equal(0); // written while the feed was disconnected
      await waitFor(() => followed.reconnects === 1, 'the reconnect');
      await recordEvent(writerB, { kind: 'state', payload: { tag: 'after' } });
      await waitFor(() => followed.events.length === 7, 'every event');
      expect(tags(followed.events)).to.deep.equal([
        'before',
        'during0',
        'during1',
        'during2',
        'during3',
        'during4',
        'after',
      ]);
      expect(followed.errors.length).to.be.greaterThan(0);
      expect(followed.errors[0]).to.be.instanceOf(StoreError);
      expect(followed.errors[0]!.shortMessage).to.contain('event feed');
    });

    it('ends its connection on close and emits nothing after', async function () {
      const followed = follow(writerA, { applicationName: 'feed-close-test' });
      await followed.feed.ready;
      await followed.feed.close();
      await followed.feed.close(); // again: nothing
      await recordEvent(writerA, { kind: 'state', payload: { tag: 'after-close' } });
      await new Promise((done) => setTimeout(done, 200));
      expect(followed.events).to.deep.equal([]);
      const { rows } = await writerA.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'feed-close-test'`,
      );
      expect(rows[0]!.n).to.equal(0);
    });
  });

  describe('when old events are pruned', function () {
    it('deletes them, and a feed behind retention reports the range it missed', async function () {
      const { events: existing } = await readEvents(writerA, { after: 0, limit: 10_000 });
      await withTransaction(writerA, async (tx) => {
        for (let i = 0; i < 3; i += 1) await recordEvent(tx, { kind: 'anchored', payload: { tag: `old${i}` } });
      });
      await writerA.query(`UPDATE events SET created_at = now() - interval '2 days'`);
      await recordEvent(writerA, { kind: 'anchored', payload: { tag: 'new0' } });
      await recordEvent(writerA, { kind: 'anchored', payload: { tag: 'new1' } });
      const lastOld = existing.length + 3; // every earlier event is old too
      expect(await pruneEvents(writerA, { olderThan: Date.now() - 86_400_000 })).to.equal(lastOld);
      expect(await pruneEvents(writerA, { olderThan: Date.now() - 86_400_000 })).to.equal(0);
      const { events, prunedThrough } = await readEvents(writerA, { after: 0 });
      expect(tags(events)).to.deep.equal(['new0', 'new1']);
      expect(prunedThrough).to.be.lessThan(events[0]!.seq);

      const behind = open(writerB, { from: 0 });
      await behind.feed.ready;
      expect(behind.skipped).to.deep.equal([{ after: 0, through: prunedThrough }]);
      expect(tags(behind.events)).to.deep.equal(['new0', 'new1']);
      const fromStart = open(writerB, { from: 'start' });
      await fromStart.feed.ready;
      expect(fromStart.skipped).to.deep.equal([]);
      expect(tags(fromStart.events)).to.deep.equal(['new0', 'new1']);
    });
  });

  describe('when an event is invalid', function () {
    it('refuses it naming the field, and the transaction can go on', async function () {
      const kind = await rejectionOf(recordEvent(writerA, { kind: 'Bad Kind' }));
      expect(kind).to.be.instanceOf(StoreError);
      expect((kind as StoreError).details).to.contain('kind');
      const big = await rejectionOf(
        recordEvent(writerA, { kind: 'snapshot', payload: { document: 'x'.repeat(MAX_EVENT_PAYLOAD_BYTES) } }),
      );
      expect((big as StoreError).shortMessage).to.equal('Event payload too large.');
      expect((big as StoreError).details).to.contain('payload');
      const device = await rejectionOf(recordEvent(writerA, { kind: 'snapshot', deviceId: 'not-a-device' }));
      expect((device as StoreError).shortMessage).to.equal('Invalid DeviceID.');
      expect(() => createStoreFeed(writerA, { pageSize: 0 })).to.throw(StoreError, 'Invalid feed option.');
    });
  });
});
