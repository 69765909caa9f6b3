import { isTransientStoreError } from '../../../store/src';
import type { OracleLog } from './types';

/** What {@link createStoreRetry} counts. */
export type StoreRetryCounters = {
  /** Attempts repeated after a transient store failure. */
  retries: number;
  /** Work given up after its last attempt (its journal entry left unfinished: replayed at the next start). */
  givenUp: number;
};

/** Parameters of {@link createStoreRetry}. */
export type StoreRetryParameters = {
  /** Attempts in all (default 8). */
  attempts?: number;
  /** The first pause, ms (default 100), doubled each attempt up to `maxDelayMs` (default 5,000), with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  log: OracleLog;
};

/** Runs store work again after a transient failure (see {@link createStoreRetry}). */
export type StoreRetry = {
  counters: StoreRetryCounters;
  /**
   * Runs `work`; when it throws a transient store error (`isTransientStoreError`), pauses and runs it again, up to
   * the attempts; `attempt` tells the work which attempt it is (from 1). Any other error, or the last attempt's, is
   * thrown.
   */
  run<T>(what: string, work: (attempt: number) => Promise<T>): Promise<T>;
};

/** The least time between two "store busy" log lines, ms: a burst retried by thousands logs a few lines. */
const LOG_INTERVAL_MS = 5_000;

/**
 * The oracle's retries of store work hit by a passing failure (a pool wait timed out, a connection broke, the server
 * restarted, a serialization failure): bounded (exponential pauses with jitter, at most `attempts`), counted, and
 * logged at most every 5 s with the count since. What is given up is logged as an error by the caller, which leaves
 * the message's journal entry unfinished so it is replayed, never completed as failed.
 *
 * @example
 * const retry = createStoreRetry({ log })
 * const result = await retry.run('snapshot commit', () => commitSnapshot(index, snapshot))
 */
export function createStoreRetry(parameters: StoreRetryParameters): StoreRetry {
  const attempts = parameters.attempts ?? 8;
  const baseDelayMs = parameters.baseDelayMs ?? 100;
  const maxDelayMs = parameters.maxDelayMs ?? 5_000;
  const counters: StoreRetryCounters = { retries: 0, givenUp: 0 };
  let loggedAt = -Infinity;
  let unlogged = 0;
  return {
    counters,
    async run(what, work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await work(attempt);
        } catch (error) {
          if (!isTransientStoreError(error)) throw error;
          if (attempt >= attempts) {
            counters.givenUp++;
            throw error;
          }
          counters.retries++;
          unlogged++;
          if (Date.now() - loggedAt >= LOG_INTERVAL_MS) {
            parameters.log('warn', 'store busy or unavailable: retrying', {
              what,
              attempt,
              retriesSinceLastLine: unlogged,
              error: (error as Error).message.replace(/\s*\n+\s*/g, ' '),
            });
            loggedAt = Date.now();
            unlogged = 0;
          }
          const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
        }
      }
    },
  };
}
