import { randomBytes } from 'node:crypto';

/** Parameters of {@link createNonceStore}. */
export type CreateNonceStoreParameters = {
  /** How long a nonce stays usable, in seconds. */
  ttlSeconds: number;
  /** At most this many nonces are kept; issuing one more evicts the oldest. */
  maxOutstanding: number;
  /** The clock, in milliseconds since the epoch. */
  now: () => number;
};

/** A freshly issued nonce. */
export type IssuedNonce = {
  /** 32 lowercase hex characters (128 random bits), valid as an EIP-4361 nonce. */
  nonce: string;
  /** When it stops being usable, in milliseconds since the epoch. */
  expiresAtMs: number;
};

/** The in-memory, bounded set of outstanding sign-in nonces. */
export type NonceStore = {
  /** Issues a random single-use nonce. */
  issue(): IssuedNonce;
  /** The expiry (ms) of an outstanding, unexpired nonce, without consuming it; `undefined` otherwise. */
  peek(nonce: string): number | undefined;
  /** Removes the nonce; `true` only when it was outstanding and unexpired. */
  consume(nonce: string): boolean;
  /** How many nonces are held (expired ones included until they are purged). */
  readonly size: number;
};

/**
 * Creates the store of sign-in nonces: random, single use, expiring, and bounded in memory (the oldest are evicted
 * first). Nonces are held in insertion order, which is also expiry order, so purging stops at the first live one.
 *
 * @example
 * const nonces = createNonceStore({ ttlSeconds: 300, maxOutstanding: 10_000, now: Date.now })
 * const { nonce } = nonces.issue()
 * nonces.consume(nonce) // true
 * nonces.consume(nonce) // false
 */
export function createNonceStore(parameters: CreateNonceStoreParameters): NonceStore {
  const { ttlSeconds, maxOutstanding, now } = parameters;
  const expiries = new Map<string, number>();

  const purgeExpired = (time: number) => {
    for (const [nonce, expiresAtMs] of expiries) {
      if (expiresAtMs > time) break;
      expiries.delete(nonce);
    }
  };

  return {
    issue() {
      const time = now();
      purgeExpired(time);
      while (expiries.size >= maxOutstanding) {
        const oldest = expiries.keys().next().value as string;
        expiries.delete(oldest);
      }
      const nonce = randomBytes(16).toString('hex');
      const expiresAtMs = time + ttlSeconds * 1000;
      expiries.set(nonce, expiresAtMs);
      return { nonce, expiresAtMs };
    },
    peek(nonce) {
      const expiresAtMs = expiries.get(nonce);
      return expiresAtMs !== undefined && now() < expiresAtMs ? expiresAtMs : undefined;
    },
    consume(nonce) {
      const expiresAtMs = expiries.get(nonce);
      if (expiresAtMs === undefined) return false;
      expiries.delete(nonce);
      return now() < expiresAtMs;
    },
    get size() {
      return expiries.size;
    },
  };
}
