import { EventEmitter } from 'node:events';
import { createStoreFeed as followOutbox, readEvents, type Store, type StoreEvent } from '../../../store/src';
import { FEED_EVENT_NAMES, type ApiFeed, type FeedItem } from './feedEvents';
import { feedNamesOf, noteTelemetry, readFeedItems, type TelemetryMemory } from './readFeedItems';

/** Options of {@link createStoreFeed}. */
export type StoreFeedOptions = {
  /** Events read but not handled yet, at most (default 10,000): beyond, events are dropped (counted) until it drains. */
  maxBacklog?: number;
  /** A read failed, or the outbox connection did (the feed reconnects by itself). */
  onError?: (error: unknown) => void;
  /** `application_name` of the feed's listening connection (default `twin-api-feed`). */
  applicationName?: string;
};

/**
 * The API's live feed, on the store's event outbox (`LISTEN/NOTIFY`, whichever instance wrote): each outbox event is
 * read back by the ids it carries (a snapshot, the readings of a telemetry batch, an anchored batch, an alert, a state
 * change, a registry event, a command, a state document) and emitted as the {@link FeedEvents} `GET /events` streams,
 * in commit order, with its outbox number and the twins it is about. Kinds nobody listens to are not read. Starts at
 * the present; `replay` reads what a resuming client missed.
 *
 * @example
 * const feed = createStoreFeed(index, { onError: (error) => log('warn', 'event feed error', { error }) })
 * feed.on('anchored', (batch) => console.log(batch.root))
 * await feed.stop()
 */
export function createStoreFeed(index: Store, options: StoreFeedOptions = {}): ApiFeed {
  const maxBacklog = options.maxBacklog ?? 10_000;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const outbox = followOutbox(index, { from: 'now', applicationName: options.applicationName ?? 'twin-api-feed' });
  const memory: TelemetryMemory = new Map();
  const counters = { events: 0, emitted: 0, dropped: 0, errors: 0 };
  const fail = (error: unknown) => {
    counters.errors++;
    options.onError?.(error);
  };
  let handled: number | undefined;
  let backlog = 0;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let following = false;
  const outboxListeners = new Set<{ event(event: StoreEvent): void; reset(reason: string): void }>();
  const reset = (reason: string) => {
    for (const listener of outboxListeners) {
      try {
        listener.reset(reason);
      } catch (error) {
        fail(error);
      }
    }
  };

  const handle = async (event: StoreEvent) => {
    const names = feedNamesOf(event.kind);
    if (!names.some((name) => emitter.listenerCount(name) > 0)) {
      if (event.kind === 'telemetry') noteTelemetry(memory, event);
      return;
    }
    for (const item of await readFeedItems(index, event, memory)) {
      if (stopped) return;
      counters.emitted++;
      for (const listener of emitter.listeners(item.name)) {
        try {
          (listener as (data: unknown, item: FeedItem) => void)(item.data, item);
        } catch (error) {
          fail(error);
        }
      }
    }
  };
  outbox.on('event', (event) => {
    counters.events++;
    for (const listener of outboxListeners) {
      try {
        listener.event(event);
      } catch (error) {
        fail(error);
      }
    }
    if (backlog >= maxBacklog) {
      counters.dropped++;
      handled = event.seq;
      return;
    }
    backlog++;
    chain = chain.then(async () => {
      try {
        if (!stopped) await handle(event);
      } catch (error) {
        fail(error);
      } finally {
        backlog--;
        handled = event.seq;
      }
    });
  });
  outbox.on('error', (error) => {
    following = false;
    reset('feed-error');
    fail(error);
  });
  outbox.on('connected', () => {
    // Caught up from its cursor after a reconnect: invalidations missed meanwhile come now, in order.
    following = true;
  });
  outbox.on('skipped', () => reset('pruned'));

  return {
    on: (event, listener) => void emitter.on(event, listener as (...args: unknown[]) => void),
    off: (event, listener) => void emitter.off(event, listener as (...args: unknown[]) => void),
    listenerCount: () => FEED_EVENT_NAMES.reduce((sum, name) => sum + emitter.listenerCount(name), 0),
    onOutbox(listener) {
      outboxListeners.add(listener);
      return () => void outboxListeners.delete(listener);
    },
    get following() {
      return following && !stopped;
    },
    async replay(after, limit = 1_000) {
      const { events, prunedThrough } = await readEvents(index, { after, limit: Math.min(limit, 10_000) });
      const replayed: TelemetryMemory = new Map();
      const items: FeedItem[] = [];
      for (const event of events) items.push(...(await readFeedItems(index, event, replayed)));
      return {
        items,
        through: events.at(-1)?.seq ?? Math.max(after, prunedThrough),
        skipped: prunedThrough > after,
      };
    },
    get cursor() {
      return handled ?? outbox.cursor;
    },
    ready: outbox.ready,
    stats: () => ({ ...counters }),
    async stop() {
      stopped = true;
      reset('stopped');
      outboxListeners.clear();
      await outbox.close();
      await chain;
      emitter.removeAllListeners();
    },
  };
}
