import { getAddress } from 'ethers';
import { errors, jwtVerify } from 'jose';
import { ApiError } from '../errors';
import { isSessionRole } from './sessionRole';
import type { Session } from './types';

/** The longest token accepted, in characters. */
const maxTokenLength = 4096;

/** Parameters of {@link verifySessionToken}. */
export type VerifySessionTokenParameters = {
  token: string;
  /** The API domain: the expected `iss` and `aud`. */
  domain: string;
  /** HS256 key. */
  secret: Uint8Array;
  /** The time to check `exp` against, in milliseconds since the epoch. */
  now: number;
  /** When set, also rejects tokens whose `iat` is older than this (a lowered TTL cuts older tokens short). */
  maxTokenAgeSeconds?: number | undefined;
};

/**
 * Verifies a session JWT: HS256 only, signature, `iss` = `aud` = the API domain, `exp` against `now`, and the claims
 * this module writes (`sub` a checksummed address, `role` a session role, `jti`, `iat`). Throws 401 `token-expired`
 * when only the expiry fails and 401 `token-invalid` for anything else.
 *
 * @example
 * const session = await verifySessionToken({ token, domain: 'api.example.com', secret, now: Date.now() })
 */
export async function verifySessionToken(parameters: VerifySessionTokenParameters): Promise<Session> {
  const { token, domain, secret, now, maxTokenAgeSeconds } = parameters;
  if (typeof token !== 'string' || token.length === 0 || token.length > maxTokenLength) throw invalid('malformed');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      typ: 'JWT',
      issuer: domain,
      audience: domain,
      currentDate: new Date(now),
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      ...(maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: maxTokenAgeSeconds }),
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new ApiError('Session token expired.', { status: 401, code: 'token-expired', cause: error });
    }
    const reason = error instanceof errors.JOSEError ? error.code : 'unverifiable';
    throw invalid(reason, error);
  }
  const { sub, role, exp, jti } = payload;
  if (typeof sub !== 'string' || !isChecksummed(sub)) throw invalid('sub is not a checksummed address');
  if (!isSessionRole(role)) throw invalid('role is not a session role');
  if (typeof exp !== 'number' || typeof jti !== 'string') throw invalid('exp or jti malformed');
  return { address: sub, role, expiresAt: new Date(exp * 1000).toISOString(), tokenId: jti };
}

function isChecksummed(value: string): value is `0x${string}` {
  try {
    return getAddress(value) === value;
  } catch {
    return false;
  }
}

function invalid(reason: string, cause?: unknown): ApiError {
  return new ApiError('Invalid session token.', { status: 401, code: 'token-invalid', details: { reason }, cause });
}
