import type { Pool, PoolClient } from 'pg';
import { StoreError } from '../errors';
import type { Store } from './types';

/** What a {@link gateStore} view reports. */
export type StoreGateStats = {
  /** Queries and transactions at most on the pool at once through this view. */
  slots: number;
  /** Running now, and waiting in memory for a slot now. */
  running: number;
  waiting: number;
  /** The most that ever waited at once. */
  peakWaiting: number;
};

/** A {@link gateStore} view: a store whose work takes one of a few slots, with its figures. */
export type GatedStore = Store & { gate: { stats(): StoreGateStats } };

/**
 * A view of `store` through which at most `slots` queries and transactions hold pool connections at once; the
 * rest wait in memory, in arrival order, for as long as it takes. A burst of work (thousands of messages arriving
 * at once) then queues here instead of in the pool, whose wait is bounded (`connectTimeoutMs`) and fails: keep
 * `slots` below the pool size so the process's other users of the pool (the chain mirror, anchoring, upkeep) still
 * get connections. Queries (`query`) and transactions (`withTransaction` on the view: `pool.connect`) both take a
 * slot, released when the query settles or the transaction's client is released. `close` closes the store itself.
 *
 * @example
 * const gated = gateStore(store, { slots: store.pool.options.max - 2 })
 * await Promise.all(deviceIds.map((id) => getTwin(gated, id))) // at most `slots` at once on the pool
 */
export function gateStore(store: Store, options: { slots: number }): GatedStore {
  const { slots } = options;
  if (!Number.isSafeInteger(slots) || slots < 1) {
    throw new StoreError('Invalid store gate.', { details: `expected slots ≥ 1, got ${slots}` });
  }
  let running = 0;
  let peakWaiting = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<void> => {
    if (running < slots) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      waiting.push(resolve);
      peakWaiting = Math.max(peakWaiting, waiting.length);
    });
  };
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next(); // the slot passes to the next in line
  };

  const connect = async (): Promise<PoolClient> => {
    await acquire();
    let client: PoolClient;
    try {
      client = await store.pool.connect();
    } catch (error) {
      release();
      throw error;
    }
    const original = client.release;
    let released = false;
    client.release = ((error?: Error | boolean) => {
      client.release = original;
      if (!released) {
        released = true;
        release();
      }
      return original.call(client, error);
    }) as PoolClient['release'];
    return client;
  };
  // Everything of the pool as it is, but connect (as withTransaction calls it: a promise) taking a slot first.
  const pool = new Proxy(store.pool, {
    get(target, property, receiver) {
      if (property === 'connect') return connect;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as Pool;

  return {
    ...store,
    kind: 'store',
    pool,
    async query(statement, values) {
      await acquire();
      try {
        return await store.query(statement, values);
      } finally {
        release();
      }
    },
    close: () => store.close(),
    gate: { stats: () => ({ slots, running, waiting: waiting.length, peakWaiting }) },
  } as GatedStore;
}
