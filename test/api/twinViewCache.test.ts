import { expect } from 'chai';
import { createStoreFeed } from '../../api/src/feed/createStoreFeed';
import type { ApiFeed } from '../../api/src/feed/feedEvents';
import { jsonBody } from '../../api/src/http/jsonBody';
import { createTwinViewCache, type TwinViewCache } from '../../api/src/views/createTwinViewCache';
import { insertSnapshot, recordEvent, upsertTwin, withTransaction, type Store } from '../../store/src';
import { createTestDatabase } from '../helpers/store';

const MAKER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const HASH = `0x${'ab'.repeat(32)}`;
const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as `0x${string}`;

/** Waits until the feed has read every event committed so far (its cursor reached the outbox's last). */
async function settled(store: Store, feed: ApiFeed): Promise<void> {
  const { rows } = await store.query<{ seq: number }>('SELECT coalesce(max(seq), 0)::int AS seq FROM events');
  const deadline = Date.now() + 10_000;
  while ((feed.cursor ?? 0) < rows[0]!.seq) {
    if (Date.now() > deadline) throw new Error(`the feed is at ${feed.cursor}, not ${rows[0]!.seq}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('api: the twin view cache, invalidated by the outbox (createTwinViewCache)', function () {
  this.timeout(60_000);
  let store: Store;
  let feed: ApiFeed;
  let views: TwinViewCache;
  let seq = 0;
  const snapshot = (n: number) =>
    withTransaction(store, async (tx) => {
      seq++;
      await insertSnapshot(tx, {
        deviceId: deviceIdOf(n),
        seq,
        collectedAt: Date.now(),
        hash: HASH,
        cid: `bafy-${seq}`,
      });
      await recordEvent(tx, { kind: 'snapshot', deviceId: deviceIdOf(n), payload: { seq } });
    });

  before(async function () {
    store = await (await createTestDatabase()).open();
    for (const n of [1, 2])
      await upsertTwin(store, {
        deviceId: deviceIdOf(n),
        owner: MAKER,
        manufacturer: MAKER,
        deviceSigner: MAKER,
        state: 'active',
        forSale: false,
        price: 0n,
        staticHash: HASH,
        staticCid: `bafy-static-${n}`,
        updateCount: 0,
        reviewRequested: false,
        mintedBlock: 1,
        updatedBlock: 1,
      });
    feed = createStoreFeed(store);
    await feed.ready;
    views = createTwinViewCache({ index: store, feed, ttlMs: 60_000 });
  });
  after(async function () {
    views.close();
    await feed.stop();
    await store.close();
  });

  it('reads a view once, then from memory, until an event names its twin (whoever wrote it)', async function () {
    expect((await views.read(deviceIdOf(1)))!.latestSnapshot).to.equal(null);
    expect((await views.read(deviceIdOf(2)))!.latestSnapshot).to.equal(null);
    expect(views.stats()).to.deep.include({ hits: 0, misses: 2, entries: 2 });
    await views.read(deviceIdOf(1).toUpperCase().replace('0X', '0x'));
    expect(views.stats().hits).to.equal(1);
    // Another instance's write (here, a second pool on the database): its event drops twin 1 only.
    const other = await (
      await import('../../store/src')
    ).openStore({ databaseUrl: (store.pool.options as { connectionString: string }).connectionString });
    try {
      await withTransaction(other, async (tx) => {
        await insertSnapshot(tx, {
          deviceId: deviceIdOf(1),
          seq: 100,
          collectedAt: Date.now(),
          hash: HASH,
          cid: 'bafy-other',
        });
        await recordEvent(tx, { kind: 'snapshot', deviceId: deviceIdOf(1), payload: { seq: 100 } });
      });
    } finally {
      await other.close();
    }
    await settled(store, feed);
    expect(views.stats().entries).to.equal(1);
    expect((await views.read(deviceIdOf(1)))!.latestSnapshot!.snapshot.seq).to.equal(100);
    expect((await views.read(deviceIdOf(2)))!.latestSnapshot).to.equal(null); // still cached, still right
    expect(views.stats()).to.deep.include({ hits: 2, misses: 3 });
  });

  it('drops every view on an event without a DeviceID (an entity changed), none on a command event', async function () {
    await views.read(deviceIdOf(1));
    await views.read(deviceIdOf(2));
    await recordEvent(store, { kind: 'command', deviceId: deviceIdOf(1), payload: { commandId: '0x01' } });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(2);
    await recordEvent(store, { kind: 'chain', deviceId: null, payload: { block: 1, logIndex: 0 } });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(0);
  });

  it('never keeps what a read overlapping an invalidation of its twin returned', async function () {
    const reading = views.read(deviceIdOf(2));
    await snapshot(2);
    await settled(store, feed);
    await reading;
    const fresh = (await views.read(deviceIdOf(2)))!;
    expect(fresh.latestSnapshot!.snapshot.seq).to.equal(seq);
  });

  it('keeps the bodies rendered from a view with its rows, past 1 s, until an event names its twin', async function () {
    const defaults = createTwinViewCache({ index: store, feed });
    try {
      const first = (await defaults.readView(deviceIdOf(1)))!;
      const body = jsonBody({ seq: first.rows.latestSnapshot?.snapshot.seq ?? null, n: 12n });
      expect(body.bytes.toString()).to.match(/"n":"12"}$/);
      first.bodies.set('public', body);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const hit = (await defaults.readView(deviceIdOf(1)))!;
      expect(hit.bodies.get('public')).to.equal(body);
      expect(hit.bodies.get('full')).to.equal(undefined);
      expect(defaults.stats()).to.deep.include({ hits: 1, misses: 1 });
      await snapshot(1);
      await settled(store, feed);
      const fresh = (await defaults.readView(deviceIdOf(1)))!;
      expect(fresh.bodies.size).to.equal(0);
      expect(defaults.stats()).to.deep.include({ hits: 1, misses: 2 });
      expect(await defaults.readView(`0x${'7'.repeat(64)}`)).to.equal(undefined);
    } finally {
      defaults.close();
    }
  });

  it('expires entries after ttlMs, and keeps nothing once the feed stopped', async function () {
    const short = createTwinViewCache({ index: store, feed, ttlMs: 30 });
    await short.read(deviceIdOf(1));
    await short.read(deviceIdOf(1));
    expect(short.stats().hits).to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await short.read(deviceIdOf(1));
    expect(short.stats()).to.deep.include({ hits: 1, misses: 2 });
    short.close();
    const alone = createStoreFeed(store);
    await alone.ready;
    const unfollowed = createTwinViewCache({ index: store, feed: alone });
    await alone.stop();
    expect(alone.following).to.equal(false);
    await unfollowed.read(deviceIdOf(1));
    await unfollowed.read(deviceIdOf(1));
    expect(unfollowed.stats()).to.deep.include({ hits: 0, misses: 2, entries: 0 });
  });
});
