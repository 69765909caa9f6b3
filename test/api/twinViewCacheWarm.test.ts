import { expect } from 'chai';
import { createStoreFeed } from '../../api/src/feed/createStoreFeed';
import type { ApiFeed } from '../../api/src/feed/feedEvents';
import {
  createTwinViewCache,
  ENTRY_OVERHEAD_BYTES,
  type TwinViewCache,
  type TwinViewCacheOptions,
} from '../../api/src/views/createTwinViewCache';
import { recordEvent, type Store } from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { addTwins, deviceIdOf, publicView, read, render, settled, until } from './twinViewCacheHarness';

describe('api: the twin view cache warms every twin, within its byte bound (createTwinViewCache)', function () {
  this.timeout(60_000);
  let store: Store;
  let feed: ApiFeed;
  let cold: TwinViewCache;
  const caches: TwinViewCache[] = [];
  const cache = (options: Partial<TwinViewCacheOptions> = {}) => {
    const made = createTwinViewCache({ index: store, feed, render, ...options });
    caches.push(made);
    return made;
  };

  before(async function () {
    store = await (await createTestDatabase()).open();
    await addTwins(store);
    feed = createStoreFeed(store);
    await feed.ready;
    cold = cache();
  });
  after(async function () {
    for (const made of caches) made.close();
    await feed.stop();
    await store.close();
  });

  it('warms a cold cache with every twin, a page a statement, then answers from memory', async function () {
    const warm = cache({ warm: true, warmPageSize: 3 });
    await until(
      () => warm.stats().entries === 4 && !warm.stats().warming,
      () => `warmed ${JSON.stringify(warm.stats())}`,
    );
    expect(warm.stats()).to.deep.include({ entries: 4, warmed: 4, hits: 0, misses: 0, warming: false });
    expect(warm.stats().lastWarmMs).to.be.a('number');
    for (const n of [1, 2, 3, 4]) expect(await read(warm, n)).to.deep.equal(await read(cold, n));
    expect(warm.stats()).to.deep.include({ hits: 4, misses: 0 });
    // Emptied (a rewind): it warms again by itself.
    await recordEvent(store, { kind: 'rewind', payload: { block: 1 } });
    await settled(store, feed);
    expect(warm.stats().entries).to.equal(0);
    await until(
      () => warm.stats().entries === 4,
      () => `rewarmed ${JSON.stringify(warm.stats())}`,
    );
    expect(warm.stats().warmed).to.equal(8);
  });

  it('holds at most maxBytes (bodies plus the overhead an entry), the least recently read going first', async function () {
    const size = (await cold.body(deviceIdOf(1), publicView))!.bytes.length + ENTRY_OVERHEAD_BYTES;
    const small = cache({ maxBytes: size * 2 + 10, warm: true });
    await until(
      () => !small.stats().warming && small.stats().entries > 0,
      () => `warmed ${JSON.stringify(small.stats())}`,
    );
    expect(small.stats().entries).to.equal(2); // the warm-up stopped at the bound
    for (const n of [1, 2, 3, 4]) {
      await read(small, n);
      expect(small.stats().bytes).to.be.at.most(size * 2 + 10);
    }
    expect(small.stats().entries).to.equal(2);
    const misses = small.stats().misses;
    await read(small, 4);
    await read(small, 3);
    await read(small, 1);
    expect(small.stats().misses).to.equal(misses + 1);
    expect(cache({ maxBytes: 0 }).stats().entries).to.equal(0);
    const off = cache({ maxBytes: 0 });
    await read(off, 1);
    await read(off, 1);
    expect(off.stats()).to.deep.include({ hits: 0, misses: 2, entries: 0, bytes: 0 });
  });
});
