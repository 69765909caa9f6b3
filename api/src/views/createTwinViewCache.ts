import { readTwinView, readTwinViewPage, type IndexedTwin, type Store, type TwinViewRows } from '../../../store/src';
import type { ApiFeed } from '../feed/feedEvents';
import type { JsonBody } from '../http/jsonBody';
import { invalidationOf, viewKeysOf, type ViewKeys } from './twinViewInvalidation';

/** The two bodies of a twin view: what everyone sees, and with the device internals (owner, maker, security). */
export type TwinViewVariant = 'public' | 'full';

/** Renders a view's body from its rows; `keep: false` when it must not be served again (its static document failed). */
export type RenderTwinView = (
  rows: TwinViewRows,
  variant: TwinViewVariant,
) => Promise<{ body: JsonBody; keep: boolean }>;

/** Options of {@link createTwinViewCache}. */
export type TwinViewCacheOptions = {
  index: Store;
  feed: ApiFeed;
  render: RenderTwinView;
  /**
   * Bytes held at most (default 256 MiB): each entry counts its bodies' bytes plus {@link ENTRY_OVERHEAD_BYTES}; the
   * least recently read go first. 0 turns the cache off.
   */
  maxBytes?: number;
  /** Twins held at most (default 1,000,000; 0 turns the cache off). */
  maxEntries?: number;
  /**
   * Longest a view in transit is kept, ms (default 30,000): one whose latest snapshot's batch is not confirmed yet
   * (it is formed, then submitted, without an outbox event). A settled view (no snapshot, or its latest snapshot's
   * batch confirmed) is kept until an event changes it: everything else it shows records one.
   */
  ttlMs?: number;
  /**
   * Read every twin's view into memory (the public body), a page a statement, once the feed follows, and again after
   * anything emptied the cache (default false).
   */
  warm?: boolean;
  /** The variant a warm-up renders: the one an anonymous reader gets (default `public`; `full` with open reads). */
  warmVariant?: TwinViewVariant;
  /** Twins per warm-up statement (default 500). */
  warmPageSize?: number;
};

/** What an entry costs besides its bodies' bytes (its twin record, keys and map slots), counted against `maxBytes`. */
export const ENTRY_OVERHEAD_BYTES = 1_024;

/** The cache's counters. */
export type TwinViewCacheStats = {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  /** Twins the warm-ups put in memory, whether one is running, and how long the last complete one took (ms). */
  warmed: number;
  warming: boolean;
  lastWarmMs: number | undefined;
};

/** Serialised twin views in memory, kept valid by the index's outbox events. */
export type TwinViewCache = {
  /**
   * The body of `deviceId`'s view in the variant `variantOf` picks from its twin record, from memory or read now
   * (one statement) and rendered; undefined when there is no such twin.
   */
  body(deviceId: string, variantOf: (twin: IndexedTwin) => TwinViewVariant): Promise<JsonBody | undefined>;
  /** Puts every twin's public view in memory (until the bounds); resolves with how many it added. */
  warm(): Promise<number>;
  stats(): TwinViewCacheStats;
  close(): void;
};

type Entry = {
  at: number;
  /** Kept until an event changes it (else until `ttlMs`). */
  settled: boolean;
  /** Undefined: no such twin (kept too, until its mint's event). */
  twin: IndexedTwin | undefined;
  keys: ViewKeys;
  bodies: Map<TwinViewVariant, JsonBody>;
  bytes: number;
};

/**
 * A cache of the twin view's serialised bodies (one statement, `readTwinView`, per change rather than per request),
 * bounded by bytes and kept valid by the outbox rather than by time: each event drops exactly the views it can change
 * ({@link invalidationOf}: its device's, or for its telemetry only the full variant's; an anchored batch's, by the batch each view shows; an entity's, by the
 * twins it owns or made; everything on a rewind or an event it does not know), any instance's write (the feed is
 * the database's); a gap in the feed (an error, a prune) empties the cache and turns it off until the feed follows
 * again. A read that overlaps an invalidation of what it shows is answered but not kept. Only a view whose latest
 * snapshot's batch is unconfirmed expires (`ttlMs`). With `warm`, every twin is read in pages at start.
 *
 * @example
 * const views = createTwinViewCache({ index, feed, render: (rows, variant) => renderTwinView(sources, rows, variant), warm: true })
 * const body = await views.body(deviceId, (twin) => (canReadTwin(reader, twin) ? 'full' : 'public'))
 */
export function createTwinViewCache(options: TwinViewCacheOptions): TwinViewCache {
  const { index, feed, render } = options;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const maxEntries = options.maxEntries ?? 1_000_000;
  const ttlMs = options.ttlMs ?? 30_000;
  const enabled = maxBytes > 0 && maxEntries > 0;
  const entries = new Map<string, Entry>();
  let bytes = 0;
  /** Invalidations are numbered; `dropped` holds the last number of each key (device, account, batch). */
  let counter = 0;
  const dropped = new Map<string, number>();
  /** Reads started before this number are never kept (everything was dropped). */
  let floor = 0;
  const counts = { hits: 0, misses: 0, warmed: 0, lastWarmMs: undefined as number | undefined };
  let closed = false;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  const drop = (keys: readonly string[]) => {
    counter++;
    for (const key of keys) dropped.set(key, counter);
    if (dropped.size > 100_000) {
      dropped.clear();
      floor = counter;
    }
  };
  const clear = () => {
    entries.clear();
    bytes = 0;
    dropped.clear();
    floor = ++counter;
    scheduleWarm();
  };
  const unchanged = (key: string, stamp: number) => (dropped.get(key) ?? 0) <= stamp;
  /** Whether what a read started at `stamp` saw for `keys` (and the internals, for the full variant) still holds. */
  const current = (deviceKey: string, keys: ViewKeys, stamp: number, variant: TwinViewVariant | undefined) =>
    enabled &&
    !closed &&
    feed.following &&
    stamp >= floor &&
    keys.all.every((key) => unchanged(key, stamp)) &&
    (variant !== 'full' || unchanged(`i:${deviceKey}`, stamp));
  /** Drops the full variant of a twin's view (its telemetry changed; the public one shows none). */
  const dropInternals = (deviceKey: string) => {
    const entry = entries.get(deviceKey);
    const full = entry?.bodies.get('full');
    if (entry === undefined || full === undefined) return;
    entry.bodies.delete('full');
    entry.bytes -= full.bytes.length;
    bytes -= full.bytes.length;
  };
  const keep = (
    deviceKey: string,
    rows: TwinViewRows | undefined,
    stamp: number,
    add?: [TwinViewVariant, JsonBody],
  ) => {
    const keys = viewKeysOf(deviceKey, rows);
    if (!current(deviceKey, keys, stamp, add?.[0])) return;
    let entry = entries.get(deviceKey);
    if (entry === undefined || !valid(entry)) {
      remove(deviceKey);
      entry = {
        at: Date.now(),
        settled: keys.settled,
        twin: rows?.twin,
        keys,
        bodies: new Map(),
        bytes: ENTRY_OVERHEAD_BYTES,
      };
      entries.set(deviceKey, entry);
      bytes += entry.bytes;
    }
    if (add !== undefined && !entry.bodies.has(add[0])) {
      entry.bodies.set(add[0], add[1]);
      entry.bytes += add[1].bytes.length;
      bytes += add[1].bytes.length;
    }
    for (const [oldest] of entries) {
      if (bytes <= maxBytes && entries.size <= maxEntries) break;
      remove(oldest);
    }
  };
  const valid = (entry: Entry) => feed.following && (entry.settled || Date.now() - entry.at < ttlMs);

  const unsubscribe = feed.onOutbox({
    event(event) {
      const invalidation = invalidationOf(event);
      if (invalidation === 'none') return;
      if (invalidation === 'all') return clear();
      drop(invalidation);
      // A device's keys by lookup; a batch's or an entity's by the entries that hold them (rarer events).
      const touched = new Set<string>();
      for (const key of invalidation) {
        if (key.startsWith('d:')) remove(key.slice(2));
        else if (key.startsWith('i:')) dropInternals(key.slice(2));
        else touched.add(key);
      }
      if (touched.size === 0) return;
      for (const [key, entry] of entries) if (entry.keys.all.some((k) => touched.has(k))) remove(key);
    },
    reset: clear,
  });

  const body = async (deviceId: string, variantOf: (twin: IndexedTwin) => TwinViewVariant) => {
    const key = deviceId.toLowerCase();
    const cached = entries.get(key);
    if (cached !== undefined && valid(cached)) {
      const kept = cached.twin === undefined ? undefined : cached.bodies.get(variantOf(cached.twin));
      if (cached.twin === undefined || kept !== undefined) {
        counts.hits++;
        // Least recently read last: the first entry is the one to evict.
        entries.delete(key);
        entries.set(key, cached);
        return kept;
      }
    }
    counts.misses++;
    const stamp = counter;
    const rows = await readTwinView(index, key, { alertLimit: 20 });
    if (rows === undefined) {
      keep(key, undefined, stamp);
      return undefined;
    }
    const variant = variantOf(rows.twin);
    const rendered = await render(rows, variant);
    if (rendered.keep) keep(key, rows, stamp, [variant, rendered.body]);
    return rendered.body;
  };

  let warming: Promise<number> | undefined;
  let warmTimer: NodeJS.Timeout | undefined;
  const warmOnce = async () => {
    await feed.ready;
    const began = Date.now();
    const pageSize = options.warmPageSize ?? 500;
    const variant = options.warmVariant ?? 'public';
    let added = 0;
    let after: string | undefined;
    pages: do {
      if (closed || !feed.following) return added;
      const stamp = counter;
      const page = await readTwinViewPage(index, { after, limit: pageSize, alertLimit: 20 });
      for (const [key, rows] of page.views) {
        // Full: stop here rather than evict what this warm-up just read.
        if (bytes + ENTRY_OVERHEAD_BYTES > maxBytes || entries.size >= maxEntries) break pages;
        if (entries.has(key)) continue;
        const rendered = await render(rows, variant);
        if (!rendered.keep || entries.has(key)) continue;
        keep(key, rows, stamp, [variant, rendered.body]);
        if (entries.has(key)) added++;
      }
      after = page.next;
    } while (after !== undefined);
    counts.lastWarmMs = Date.now() - began;
    return added;
  };
  const warm = () => {
    warming ??= warmOnce()
      .then((added) => {
        counts.warmed += added;
        return added;
      })
      .finally(() => (warming = undefined));
    return warming;
  };
  /** After the cache was emptied: warm again a second later (once), when enabled. */
  function scheduleWarm() {
    if (!options.warm || !enabled || closed || warmTimer !== undefined) return;
    warmTimer = setTimeout(() => {
      warmTimer = undefined;
      if (!feed.following) return scheduleWarm();
      void (warming ?? Promise.resolve(0)).then(() => warm()).catch(() => scheduleWarm());
    }, 1_000);
    warmTimer.unref();
  }
  if (options.warm && enabled) void warm().catch(() => scheduleWarm());

  return {
    body,
    warm,
    stats: () => ({
      hits: counts.hits,
      misses: counts.misses,
      entries: entries.size,
      bytes,
      warmed: counts.warmed,
      warming: warming !== undefined,
      lastWarmMs: counts.lastWarmMs,
    }),
    close() {
      closed = true;
      clearTimeout(warmTimer);
      unsubscribe();
      entries.clear();
      bytes = 0;
    },
  };
}
