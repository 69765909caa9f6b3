import { expect } from 'chai';
import { createStoreFeed } from '../../api/src/feed/createStoreFeed';
import type { ApiFeed } from '../../api/src/feed/feedEvents';
import {
  createTwinViewCache,
  type TwinViewCache,
  type TwinViewCacheOptions,
  type TwinViewVariant,
} from '../../api/src/views/createTwinViewCache';
import {
  attachBatch,
  confirmBatchOnce,
  createBatch,
  insertSnapshot,
  recordEvent,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { addTwins, deviceIdOf, HASH, MAKER, OWNER, publicView, read, render, settled } from './twinViewCacheHarness';

describe('api: the twin view cache, invalidated by the outbox (createTwinViewCache)', function () {
  this.timeout(60_000);
  let store: Store;
  let feed: ApiFeed;
  let views: TwinViewCache;
  let seq = 200; // above the other instance's snapshot (seq 100) of the first test
  const caches: TwinViewCache[] = [];
  const cache = (options: Partial<TwinViewCacheOptions> = {}) => {
    const made = createTwinViewCache({ index: store, feed, render, ...options });
    caches.push(made);
    return made;
  };
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
      return seq;
    });
  /** A batch of the latest snapshots of twins `ns`, attached without an event (as the oracle forms one). */
  const batchOf = async (ns: number[], seqs: number[]) => {
    const batch = await createBatch(store, { leafCount: ns.length });
    await attachBatch(
      store,
      batch.id,
      ns.map((n, leafIndex) => ({ deviceId: deviceIdOf(n), seq: seqs[leafIndex]!, leafIndex, proof: [] })),
    );
    return batch.id;
  };
  const confirm = (batchId: number) =>
    withTransaction(store, async (tx) => {
      await confirmBatchOnce(tx, batchId, { txHash: HASH, block: 5 });
      await recordEvent(tx, { kind: 'anchored', payload: { batchId } });
    });

  before(async function () {
    store = await (await createTestDatabase()).open();
    await addTwins(store);
    feed = createStoreFeed(store);
    await feed.ready;
    views = cache();
  });
  after(async function () {
    for (const made of caches) made.close();
    await feed.stop();
    await store.close();
  });

  it('reads a view once, then from memory, until an event names its twin (whoever wrote it)', async function () {
    expect(await read(views, 1)).to.include({ seq: null, variant: 'public' });
    expect(await read(views, 2)).to.include({ seq: null });
    expect(views.stats()).to.deep.include({ hits: 0, misses: 2, entries: 2 });
    const first = await views.body(deviceIdOf(1).toUpperCase().replace('0X', '0x'), publicView);
    expect(first!.bytes.toString()).to.match(/"n":"12"}$/);
    expect(views.stats().hits).to.equal(1);
    expect(await views.body(deviceIdOf(1), publicView)).to.equal(first); // the very bytes, not rendered again
    // Another instance's write (here, a second pool on the database): its event drops twin 1 only.
    const other = await (
      await import('../../store/src')
    ).openStore({ databaseUrl: (store.pool.options as { connectionString: string }).connectionString });
    try {
      await withTransaction(other, async (tx) => {
        await insertSnapshot(tx, { deviceId: deviceIdOf(1), seq: 100, collectedAt: Date.now(), hash: HASH, cid: 'x' });
        await recordEvent(tx, { kind: 'snapshot', deviceId: deviceIdOf(1), payload: { seq: 100 } });
      });
    } finally {
      await other.close();
    }
    await settled(store, feed);
    expect(views.stats().entries).to.equal(1);
    expect(await read(views, 1)).to.include({ seq: 100 });
    expect(await read(views, 2)).to.include({ seq: null }); // still cached, still right
    expect(views.stats()).to.deep.include({ hits: 3, misses: 3 });
    // A variant not rendered yet is read and kept beside the other.
    expect(await read(views, 2, () => 'full')).to.include({ variant: 'full' });
    expect(await read(views, 2, () => 'full')).to.include({ variant: 'full' });
    expect(await read(views, 2)).to.include({ variant: 'public' });
    expect(views.stats()).to.deep.include({ hits: 5, misses: 4 });
    expect(await views.body(`0x${'7'.repeat(64)}`, publicView)).to.equal(undefined);
    expect(await views.body(`0x${'7'.repeat(64)}`, publicView)).to.equal(undefined);
    expect(views.stats()).to.deep.include({ hits: 6, misses: 5 });
  });

  it('drops only what an event without a DeviceID changes: an entity its twins, a rewind everything', async function () {
    for (const n of [1, 2, 3, 4]) await read(views, n);
    expect(views.stats().entries).to.equal(5);
    await recordEvent(store, { kind: 'command', deviceId: deviceIdOf(1), payload: { commandId: '0x01' } });
    await recordEvent(store, { kind: 'chain', payload: { block: 2, logIndex: 0, name: 'BatchAnchored' } });
    await recordEvent(store, {
      kind: 'chain',
      payload: { block: 2, logIndex: 1, name: 'BrandApproved', account: MAKER },
    });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(5);
    // OWNER's profile changed: the views of twins 3 and 4 (its own) go, those of MAKER's twins 1 and 2 stay.
    await recordEvent(store, {
      kind: 'chain',
      payload: { block: 3, logIndex: 0, name: 'EntityProfileUpdated', account: OWNER.toLowerCase() },
    });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(3);
    const misses = views.stats().misses;
    await read(views, 1);
    await read(views, 3);
    expect(views.stats().misses).to.equal(misses + 1);
    // MAKER made every twin: all four go (the unknown DeviceID's entry stays).
    await recordEvent(store, {
      kind: 'chain',
      payload: { block: 3, logIndex: 1, name: 'EntityApproved', account: MAKER },
    });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(1);
    for (const n of [1, 2]) await read(views, n);
    // A chain event about no twin that does not say what (an older writer's), or a rewind: everything.
    await recordEvent(store, { kind: 'chain', deviceId: null, payload: { block: 4, logIndex: 0 } });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(0);
    for (const n of [1, 2]) await read(views, n);
    await recordEvent(store, { kind: 'rewind', payload: { block: 1 } });
    await settled(store, feed);
    expect(views.stats().entries).to.equal(0);
  });

  it("drops on an anchored event only the views its batch changes: its twins' and the unbatched", async function () {
    const seqs = [await snapshot(1), await snapshot(2), await snapshot(3)];
    await snapshot(4);
    const first = await batchOf([1, 2], seqs.slice(0, 2));
    const second = await batchOf([3], seqs.slice(2));
    await settled(store, feed);
    for (const n of [1, 2, 3, 4])
      expect(await read(views, n)).to.include({ batch: n <= 2 ? 'open' : n === 3 ? 'open' : null });
    await confirm(second);
    await settled(store, feed);
    // Twin 3's view (in the batch) and twin 4's (unbatched: it could have joined it) went; 1 and 2 stay.
    expect(views.stats().entries).to.equal(2);
    expect(await read(views, 3)).to.include({ batch: 'confirmed' });
    expect(await read(views, 1)).to.include({ batch: 'open' });
    await confirm(first);
    await settled(store, feed);
    expect(await read(views, 1)).to.include({ batch: 'confirmed' });
    expect(await read(views, 2)).to.include({ batch: 'confirmed' });
    // Settled now: another batch's anchoring leaves them.
    const hits = views.stats().hits;
    const third = await batchOf([4], [seq]);
    await confirm(third);
    await settled(store, feed);
    for (const n of [1, 2, 3]) await read(views, n);
    expect(views.stats().hits).to.equal(hits + 3);
    expect(await read(views, 4)).to.include({ batch: 'confirmed' });
  });

  it('drops on a telemetry event only the full variant (the public one shows no telemetry)', async function () {
    const full = () => 'full' as TwinViewVariant;
    const publicBody = await views.body(deviceIdOf(3), publicView);
    const fullBody = await views.body(deviceIdOf(3), full);
    const before = views.stats();
    await recordEvent(store, { kind: 'telemetry', deviceId: deviceIdOf(3), payload: { seq: 1 } });
    await settled(store, feed);
    expect(views.stats().bytes).to.equal(before.bytes - fullBody!.bytes.length);
    expect(await views.body(deviceIdOf(3), publicView)).to.equal(publicBody);
    expect(views.stats()).to.deep.include({ hits: before.hits + 1, misses: before.misses });
    expect(await views.body(deviceIdOf(3), full)).to.not.equal(fullBody);
    expect(views.stats().misses).to.equal(before.misses + 1);
    // A full read overlapping a telemetry event is not kept; a public one is.
    const reading = views.body(deviceIdOf(4), full);
    await recordEvent(store, { kind: 'telemetry', deviceId: deviceIdOf(4), payload: { seq: 2 } });
    await settled(store, feed);
    await reading;
    const misses = views.stats().misses;
    await views.body(deviceIdOf(4), full);
    expect(views.stats().misses).to.equal(misses + 1);
  });

  it('never keeps what a read overlapping an invalidation of its twin returned', async function () {
    const reading = read(views, 2);
    const latest = await snapshot(2);
    await settled(store, feed);
    await reading;
    expect(await read(views, 2)).to.include({ seq: latest, batch: null });
  });

  it('keeps settled views past ttlMs, expires views in transit, and keeps nothing once the feed stopped', async function () {
    const short = cache({ ttlMs: 30 });
    expect(await read(short, 1)).to.include({ batch: 'confirmed' });
    expect(await read(short, 2)).to.include({ batch: null });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await read(short, 1);
    await read(short, 2);
    expect(short.stats()).to.deep.include({ hits: 1, misses: 3 });
    const alone = createStoreFeed(store);
    await alone.ready;
    const unfollowed = cache({ feed: alone });
    await alone.stop();
    expect(alone.following).to.equal(false);
    await read(unfollowed, 1);
    await read(unfollowed, 1);
    expect(unfollowed.stats()).to.deep.include({ hits: 0, misses: 2, entries: 0 });
  });
});
