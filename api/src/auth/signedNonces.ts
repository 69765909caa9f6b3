import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IssuedNonce } from './nonceStore';

/** Parameters of {@link createSignedNonces}. */
export type CreateSignedNoncesParameters = {
  /** The key every instance shares (the session key: a nonce key is derived from it). */
  secret: Uint8Array;
  /** How long a nonce stays usable, in seconds. */
  ttlSeconds: number;
  /** The clock, in milliseconds since the epoch. */
  now: () => number;
};

/** Nonces any instance holding the key can check: issued with no state, single use through a shared ledger. */
export type SignedNonces = {
  /** A random nonce carrying its expiry and a MAC. */
  issue(): IssuedNonce;
  /** The expiry (ms) of a nonce this key issued that has not expired; `undefined` otherwise. Says nothing of use. */
  peek(nonce: string): number | undefined;
};

const NONCE = /^([0-9a-f]{24})([0-9a-f]{12})([0-9a-f]{32})$/;

/**
 * Sign-in nonces for instances behind a load balancer (issue 15): `random (12 bytes) ‖ expiry (ms, 6 bytes) ‖
 * HMAC-SHA-256 (first 16 bytes)` as 68 lower-case hex digits (a valid EIP-4361 nonce), under a key derived from the
 * shared session key. Whichever instance issued it, any other can check it; the API records its use in the store
 * (`consumeSignInNonce`), so a signed message signs in once across instances.
 *
 * @example
 * const nonces = createSignedNonces({ secret, ttlSeconds: 300, now: Date.now })
 * const { nonce } = nonces.issue()
 * nonces.peek(nonce) // its expiry, on any instance with the secret
 */
export function createSignedNonces(parameters: CreateSignedNoncesParameters): SignedNonces {
  const { ttlSeconds, now } = parameters;
  const key = createHmac('sha256', parameters.secret).update('twin-api/siwe-nonce/v1').digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16);
  return {
    issue() {
      const expiresAtMs = now() + ttlSeconds * 1000;
      const body = randomBytes(12).toString('hex') + expiresAtMs.toString(16).padStart(12, '0');
      return { nonce: body + mac(body).toString('hex'), expiresAtMs };
    },
    peek(nonce) {
      const match = typeof nonce === 'string' ? NONCE.exec(nonce) : null;
      if (match === null) return undefined;
      const body = match[1]! + match[2]!;
      if (!timingSafeEqual(mac(body), Buffer.from(match[3]!, 'hex'))) return undefined;
      const expiresAtMs = Number.parseInt(match[2]!, 16);
      return expiresAtMs > now() ? expiresAtMs : undefined;
    },
  };
}
