import { readTwinView, type Store, type TwinViewRows } from '../../../store/src';
import type { ApiFeed } from '../feed/feedEvents';
import type { JsonBody } from '../http/jsonBody';

/** Options of {@link createTwinViewCache}. */
export type TwinViewCacheOptions = {
  index: Store;
  feed: ApiFeed;
  /** Twins kept at most (default 20,000; the least recently read go first; 0 turns the cache off). */
  maxEntries?: number;
  /**
   * Longest a view is kept, ms (default 30,000). Every change a view shows records an outbox event except a
   * snapshot's batch being formed and submitted (its `batch` pending, then submitted; confirmation has its event):
   * this bounds how long those two steps may be shown late. It does not bound the feed's delay: an entry is
   * dropped when the event arrives, and a read overlapping it is not kept.
   */
  ttlMs?: number;
};

/**
 * One twin's cached view: its rows and the response bodies rendered from them, by variant (the public view, the
 * full one): valid together, dropped together.
 */
export type CachedTwinView = { rows: TwinViewRows; bodies: Map<string, JsonBody> };

/** The twin view's rows, cached by DeviceID and invalidated by the index's outbox events. */
export type TwinViewCache = {
  /** The rows of `readTwinView` (alerts: the newest 20), from the cache when still valid. */
  read(deviceId: string): Promise<TwinViewRows | undefined>;
  /**
   * The rows and the bodies rendered from them so far: a body set in `bodies` is served until the twin's next
   * invalidation (for a read that is not kept, `bodies` is its own and dropped with it).
   */
  readView(deviceId: string): Promise<CachedTwinView | undefined>;
  stats(): { hits: number; misses: number; entries: number };
  close(): void;
};

/** Outbox kinds about one device's view when they carry its DeviceID; without one they may touch any view. */
const DEVICE_KINDS = new Set(['snapshot', 'telemetry', 'alert', 'state', 'chain', 'anchored']);

/**
 * A cache of the twin view's rows (one statement, `readTwinView`), so that a hot view is read once per change
 * rather than once per request: each outbox event invalidates the device it names (any instance's write: the feed
 * is the database's), one without a DeviceID (an entity's registry event, an anchored batch) every entry, and a
 * gap in the feed (an error, a prune) empties the cache and turns it off until the feed follows again. A read that
 * overlaps an invalidation of its twin is answered but not kept. Entries expire after `ttlMs` besides.
 *
 * @example
 * const views = createTwinViewCache({ index, feed })
 * const rows = await views.read(deviceId)
 */
export function createTwinViewCache(options: TwinViewCacheOptions): TwinViewCache {
  const { index, feed } = options;
  const maxEntries = options.maxEntries ?? 20_000;
  const ttlMs = options.ttlMs ?? 30_000;
  const entries = new Map<string, { at: number; view: CachedTwinView | undefined }>();
  /** Bumped on every invalidation of a device (per device) and of everything (`all`). */
  const versions = new Map<string, number>();
  let all = 0;
  let hits = 0;
  let misses = 0;
  const invalidate = (deviceId: string) => {
    entries.delete(deviceId);
    versions.set(deviceId, (versions.get(deviceId) ?? 0) + 1);
    if (versions.size > maxEntries * 2) {
      versions.clear();
      all++;
    }
  };
  const clear = () => {
    entries.clear();
    versions.clear();
    all++;
  };
  const unsubscribe = feed.onOutbox({
    event(event) {
      if (event.deviceId !== null && DEVICE_KINDS.has(event.kind)) invalidate(event.deviceId.toLowerCase());
      else if (event.kind !== 'command' && event.kind !== 'state-document') clear();
    },
    reset: clear,
  });

  const readView = async (deviceId: string): Promise<CachedTwinView | undefined> => {
    const key = deviceId.toLowerCase();
    const now = Date.now();
    const cached = entries.get(key);
    if (cached !== undefined && now - cached.at < ttlMs && feed.following) {
      hits++;
      // Least recently read last: the first entry is the one to evict.
      entries.delete(key);
      entries.set(key, cached);
      return cached.view;
    }
    misses++;
    const version = versions.get(key) ?? 0;
    const epoch = all;
    const rows = await readTwinView(index, key, { alertLimit: 20 });
    const view = rows === undefined ? undefined : { rows, bodies: new Map<string, JsonBody>() };
    if (maxEntries > 0 && feed.following && epoch === all && (versions.get(key) ?? 0) === version) {
      entries.delete(key);
      entries.set(key, { at: now, view });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return view;
  };

  return {
    read: async (deviceId) => (await readView(deviceId))?.rows,
    readView,
    stats: () => ({ hits, misses, entries: entries.size }),
    close() {
      unsubscribe();
      entries.clear();
    },
  };
}
