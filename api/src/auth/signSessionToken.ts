import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Session, SessionRole } from './types';

/** Parameters of {@link signSessionToken}. */
export type SignSessionTokenParameters = {
  /** EIP-55 checksummed address: the token's `sub`. */
  address: `0x${string}`;
  role: SessionRole;
  /** The API domain: the token's `iss` and `aud`. */
  domain: string;
  /** HS256 key. */
  secret: Uint8Array;
  /** When it is issued, in milliseconds since the epoch. */
  now: number;
  ttlSeconds: number;
};

/** What {@link signSessionToken} returns: the compact JWT and the session it carries. */
export type SignSessionTokenReturnType = { token: string; session: Session };

/**
 * Signs the short-lived session JWT (HS256): `sub` the address, `role`, `iss` = `aud` = the API domain, `iat`,
 * `exp` and a random `jti`.
 *
 * @example
 * const { token } = await signSessionToken({ address, role: 'owner', domain, secret, now: Date.now(), ttlSeconds: 900 })
 */
export async function signSessionToken(parameters: SignSessionTokenParameters): Promise<SignSessionTokenReturnType> {
  const { address, role, domain, secret, ttlSeconds } = parameters;
  const issuedAt = Math.floor(parameters.now / 1000);
  const expiresAt = issuedAt + ttlSeconds;
  const tokenId = randomUUID();
  const token = await new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(address)
    .setIssuer(domain)
    .setAudience(domain)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(tokenId)
    .sign(secret);
  return { token, session: { address, role, expiresAt: new Date(expiresAt * 1000).toISOString(), tokenId } };
}
