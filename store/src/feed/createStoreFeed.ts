import { EventEmitter } from 'node:events';
import pg from 'pg';
import { StoreError, wrapPgError } from '../errors';
import { latestEventSeq, readEvents } from '../events/readEvents';
import { EVENTS_CHANNEL, type StoreEvent } from '../events/types';
import { runQuery } from '../pool/runQuery';
import type { Store } from '../pool/types';

/** What a {@link StoreFeed} emits. */
export type StoreFeedEvents = {
  /** One committed event, in commit order, each once. */
  event: StoreEvent;
  /** Events between `after` and `through` were pruned before this feed read them (its cursor fell behind retention). */
  skipped: { after: number; through: number };
  /** The listening connection is up: the first time, and after each reconnect (`reconnect` true). */
  connected: { reconnect: boolean };
  /** The connection failed or was ended by the server; the feed reconnects and catches up by itself. */
  error: StoreError;
};
export type StoreFeedEventName = keyof StoreFeedEvents;

/** Options of {@link createStoreFeed}. */
export type StoreFeedOptions = {
  /**
   * Where to begin: `now` (default: the last event committed when the feed first connects), `start` (the oldest
   * event retained), or a cursor: the `seq` of the last event already seen (e.g. an SSE client's `Last-Event-ID`).
   */
  from?: 'now' | 'start' | number;
  /** Events read per query, and so held in memory at most (default 500). */
  pageSize?: number;
  /** A read without a notification after this long, ms (default 10,000; 0: only on notifications). */
  pollIntervalMs?: number;
  /** The first wait before reconnecting, ms, doubled after each failure (default 100). */
  reconnectDelayMs?: number;
  /** The longest wait before reconnecting, ms (default 5,000). */
  maxReconnectDelayMs?: number;
  /** `application_name` of the listening connection (default `twin-store-feed`). */
  applicationName?: string;
};

/** A live, ordered view of the store's events, whichever instance wrote them. */
export type StoreFeed = {
  on<name extends StoreFeedEventName>(event: name, listener: (data: StoreFeedEvents[name]) => void): void;
  off<name extends StoreFeedEventName>(event: name, listener: (data: StoreFeedEvents[name]) => void): void;
  /** The `seq` of the last event emitted (or where the feed began); undefined before the first connection. */
  readonly cursor: number | undefined;
  /** Resolves once the feed has connected the first time and emitted what was committed after `from`. */
  readonly ready: Promise<void>;
  /** Stops listening and ends the connection; no event is emitted after it resolves. Calling again does nothing. */
  close(): Promise<void>;
};

/**
 * Follows the store's event outbox on a connection of its own: `LISTEN store_events`, and on each notification (or
 * every `pollIntervalMs`) reads the committed events past its cursor, a page at a time, and emits them in order.
 * Events are numbered at commit under a lock, so the cursor never skips one, and every feed on the database emits
 * the same events in the same order. When the server ends the connection the feed reconnects (backing off up to
 * `maxReconnectDelayMs`), listens again, then reads from its cursor: nothing committed in between is lost. Memory
 * is one page, whatever the backlog: notifications only mark that there is something to read.
 *
 * @example
 * const feed = createStoreFeed(store, { from: 'now' })
 * feed.on('event', (event) => sse.send(event.kind, event.payload, { id: event.seq }))
 * await feed.ready
 * // … at stop
 * await feed.close()
 */
export function createStoreFeed(store: Store, options: StoreFeedOptions = {}): StoreFeed {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const limit = options.pageSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const firstDelay = options.reconnectDelayMs ?? 100;
  const maxDelay = options.maxReconnectDelayMs ?? 5_000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new StoreError('Invalid feed option.', { details: `pageSize: expected 1 to 10,000, got ${limit}` });
  }
  const from = options.from ?? 'now';
  if (typeof from === 'number' && (!Number.isSafeInteger(from) || from < 0)) {
    throw new StoreError('Invalid feed option.', {
      details: `from: expected a seq ≥ 0, 'now' or 'start', got ${from}`,
    });
  }
  let cursor: number | undefined = typeof from === 'number' ? from : undefined;
  let closed = false;
  let client: pg.Client | undefined;
  let dirty = true;
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    dirty = true;
    wakeUp?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      const timer = ms > 0 ? setTimeout(finish, ms) : undefined;
      function finish() {
        clearTimeout(timer);
        wakeUp = undefined;
        done();
      }
      wakeUp = finish;
    });
  const emit = <name extends StoreFeedEventName>(name: name, data: StoreFeedEvents[name]) => {
    if (name === 'error' && emitter.listenerCount('error') === 0) return;
    for (const listener of emitter.listeners(name)) {
      try {
        (listener as (value: StoreFeedEvents[name]) => void)(data);
      } catch (error) {
        if (name !== 'error')
          emit('error', new StoreError('A feed listener threw.', { details: String(error), cause: error }));
      }
    }
  };

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const catchUp = async (connection: pg.Client) => {
    for (;;) {
      dirty = false;
      const { events, prunedThrough } = await readEvents(queryable(connection), { after: cursor!, limit });
      if (closed) return;
      if (prunedThrough > cursor!) {
        emit('skipped', { after: cursor!, through: prunedThrough });
        cursor = prunedThrough;
      }
      for (const event of events) {
        if (closed) return;
        cursor = event.seq;
        emit('event', event);
      }
      if (events.length < limit) return;
    }
  };

  let healthy = false;
  const session = async (reconnect: boolean) => {
    healthy = false;
    const connection = new pg.Client({
      ...(store.pool.options as pg.ClientConfig),
      // The LISTEN connection idles between notifications: keepalives find a silently dead peer.
      keepAlive: true,
      application_name: options.applicationName ?? 'twin-store-feed',
    });
    client = connection;
    let broken: Error | undefined;
    connection.on('error', (error) => {
      broken ??= error;
      wake();
    });
    connection.on('end', () => {
      broken ??= new Error('the server ended the connection');
      wake();
    });
    connection.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL && !(Number(message.payload) <= (cursor ?? -1))) wake();
    });
    try {
      try {
        await connection.connect();
      } catch (error) {
        throw wrapPgError(error, `The event feed cannot connect to PostgreSQL at ${store.url}.`);
      }
      await runQuery(connection, `LISTEN ${EVENTS_CHANNEL}`);
      if (cursor === undefined) {
        const latest = await latestEventSeq(queryable(connection));
        cursor = from === 'start' ? latest.prunedThrough : Math.max(latest.seq, latest.prunedThrough);
      }
      healthy = true;
      emit('connected', { reconnect });
      dirty = true;
      while (!closed && broken === undefined) {
        if (dirty) await catchUp(connection);
        markReady();
        if (closed || broken !== undefined) break;
        if (!dirty) await sleep(pollIntervalMs);
        if (pollIntervalMs > 0) dirty = true;
      }
      if (broken !== undefined && !closed) {
        throw wrapPgError(broken, 'The event feed lost its connection.');
      }
    } finally {
      client = undefined;
      connection.removeAllListeners('notification');
      await connection.end().catch(() => undefined);
    }
  };

  const run = (async () => {
    await Promise.resolve(); // listeners attached synchronously after createStoreFeed see the first events
    let delay = firstDelay;
    let connections = 0;
    while (!closed) {
      const started = connections;
      try {
        connections += 1;
        await session(started > 0);
      } catch (error) {
        if (closed) break;
        emit('error', error instanceof StoreError ? error : wrapPgError(error, 'The event feed failed.'));
      }
      if (closed) break;
      if (healthy) delay = firstDelay; // it was connected: the next failure starts the backoff again
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
    markReady();
  })();

  let closing: Promise<void> | undefined;
  return {
    on: (event, listener) => void emitter.on(event, listener as (data: unknown) => void),
    off: (event, listener) => void emitter.off(event, listener as (data: unknown) => void),
    get cursor() {
      return cursor;
    },
    ready,
    close() {
      closing ??= (async () => {
        closed = true;
        wake();
        await client?.end().catch(() => undefined);
        await run;
        emitter.removeAllListeners();
      })();
      return closing;
    },
  };
}

function queryable(connection: pg.Client) {
  return {
    kind: 'store' as const,
    query: <row extends pg.QueryResultRow>(statement: Parameters<typeof runQuery>[1], values?: readonly unknown[]) =>
      runQuery<row>(connection, statement, values),
  };
}
