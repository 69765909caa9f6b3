import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey } from '../values';
import { getTwins } from './getTwin';
import type { IndexedTwin } from './types';

/** DeviceIDs read in one statement at most. */
export const TWIN_LOADER_BATCH = 1_000;

/** Twins read in batches (see {@link createTwinLoader}), with its figures. */
export type TwinLoader = {
  /** The twin of `deviceId` (any notation), or undefined. A DeviceID that is none is refused (StoreError). */
  load(deviceId: string): Promise<IndexedTwin | undefined>;
  /** The twins of `deviceIds`, by DeviceID key (`0x` + 64 lower-case hex). */
  loadMany(deviceIds: readonly string[]): Promise<Map<Hex, IndexedTwin>>;
  /** Twins asked for, and the statements that read them. */
  readonly stats: { twins: number; statements: number };
};

type Waiter = { resolve: (twin: IndexedTwin | undefined) => void; reject: (error: Error) => void };

/**
 * Reads twins for many callers in few statements: what is asked while a statement runs (a burst of messages, many
 * fleet logins at once) waits for the next one, which reads all of it (`getTwins`, up to 1,000 DeviceIDs a
 * statement); one statement at a time. Nothing is cached: each answer is as fresh as its statement, so a new device
 * signer or a deactivation counts from the next one.
 *
 * @example
 * const twins = createTwinLoader(store)
 * const all = await Promise.all(deviceIds.map((deviceId) => twins.load(deviceId))) // a few statements, not one each
 */
export function createTwinLoader(db: Db): TwinLoader {
  const stats = { twins: 0, statements: 0 };
  const pending = new Map<Hex, Waiter[]>();
  let running = false;

  const drain = async (): Promise<void> => {
    try {
      while (pending.size > 0) {
        const keys = [...pending.keys()].slice(0, TWIN_LOADER_BATCH);
        const waiters = keys.map((key) => [key, pending.get(key)!] as const);
        for (const key of keys) pending.delete(key);
        stats.statements++;
        try {
          const twins = await getTwins(db, keys);
          for (const [key, list] of waiters) for (const waiter of list) waiter.resolve(twins.get(key));
        } catch (error) {
          for (const [, list] of waiters) for (const waiter of list) waiter.reject(error as Error);
        }
      }
    } finally {
      running = false;
    }
  };

  const load = (deviceId: string): Promise<IndexedTwin | undefined> => {
    let key: Hex;
    try {
      key = deviceIdKey(deviceId);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    stats.twins++;
    return new Promise((resolve, reject) => {
      const list = pending.get(key);
      if (list === undefined) pending.set(key, [{ resolve, reject }]);
      else list.push({ resolve, reject });
      // The first lookup of a quiet moment starts a statement on the next turn (lookups of the same turn join it).
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
  };

  return {
    load,
    async loadMany(deviceIds) {
      const keys = [...new Set(deviceIds.map(deviceIdKey))];
      const twins = await Promise.all(keys.map(load));
      const found = new Map<Hex, IndexedTwin>();
      keys.forEach((key, n) => twins[n] !== undefined && found.set(key, twins[n]!));
      return found;
    },
    stats,
  };
}
