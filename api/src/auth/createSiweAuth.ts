import { getAddress, verifyMessage } from 'ethers';
import type { RequestHandler } from 'express';
import { ApiError } from '../errors';
import { checkEntity } from './checkEntity';
import { formatSiweMessage } from './formatSiweMessage';
import { createNonceStore, type NonceStore } from './nonceStore';
import { createSignedNonces } from './signedNonces';
import { parseSiweMessage, type ParsedSiweMessage } from './parseSiweMessage';
import { createRequireSession, type RequireSessionParameters } from './requireSession';
import { signSessionToken } from './signSessionToken';
import type { LookupEntity, Session, SessionRole } from './types';
import { verifySessionToken } from './verifySessionToken';

export type { EntityRecord, EntityRole, EntityStatus, LookupEntity, Session, SessionRole } from './types';
export type { RequireSessionParameters } from './requireSession';

/** Parameters of {@link createSiweAuth}. */
export type CreateSiweAuthParameters = {
  /** `host[:port]` the API is served on: the message's domain, and the token's `iss` and `aud`. */
  domain: string;
  /** The API's origin, e.g. `https://api.example.com`; a message's URI must be on this origin. */
  uri: string;
  /** The chain the registry lives on (EIP-155). */
  chainId: number;
  /** HS256 key for the session tokens, at least 32 bytes. */
  secret: Uint8Array;
  /** Session token lifetime. Default 900 (15 minutes). */
  tokenTtlSeconds?: number | undefined;
  /** Nonce lifetime, also the message's Expiration Time. Default 300. */
  nonceTtlSeconds?: number | undefined;
  /** At most this many outstanding nonces are kept in memory; the oldest are evicted. Default 10 000. */
  maxOutstandingNonces?: number | undefined;
  /**
   * The ledger of used nonces every instance shares (runApi: the store's `consumeSignInNonce`). With it, nonces are
   * issued with no state (they carry their expiry and a MAC under the session key: `createSignedNonces`), so a client
   * may take one from any instance and sign in on any other, once; without it, they are kept in this process.
   */
  usedNonces?: { consume(nonce: string, expiresAtMs: number): Promise<boolean> } | undefined;
  /** Reads the entity index (the SQLite mirror of the registry). */
  lookupEntity: LookupEntity;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: (() => number) | undefined;
};

/** What `issueNonce()` returns. */
export type IssueNonceReturnType = {
  /** Single use: put it in the message's `Nonce:` field. */
  nonce: string;
  /** ISO 8601; sign in before then. */
  expiresAt: string;
};

/** Parameters of `messageFor()`. */
export type MessageForParameters = {
  /** The address that will sign (any case; the message carries it checksummed). */
  address: string;
  /** A nonce from `issueNonce()`. */
  nonce: string;
  /** One line shown to the user. */
  statement?: string | undefined;
};

/** Parameters of `signIn()`. */
export type SignInParameters = {
  /** The EIP-4361 message text, exactly as signed. */
  message: string;
  /** The 65-byte EIP-191 (`personal_sign`) signature, 0x hex. */
  signature: string;
};

/** What `signIn()` returns. */
export type SignInReturnType = {
  /** The session JWT: send it as `Authorization: Bearer <token>`. */
  token: string;
  /** ISO 8601. */
  expiresAt: string;
  /** EIP-55 checksummed. */
  address: `0x${string}`;
  role: SessionRole;
};

/** What `verifyToken()` returns: the {@link Session}. */
export type VerifyTokenReturnType = Session;

/** What {@link createSiweAuth} returns. */
export type SiweAuth = {
  /** Issues a random, single-use, expiring nonce. */
  issueNonce(): IssueNonceReturnType;
  /** The EIP-4361 message a client signs for this API (issued now, expiring with the nonce). */
  messageFor(parameters: MessageForParameters): string;
  /** Checks a signed message and returns a session token. */
  signIn(parameters: SignInParameters): Promise<SignInReturnType>;
  /** Verifies a session token (signature, issuer, audience, expiry). */
  verifyToken(token: string): Promise<VerifyTokenReturnType>;
  /**
   * Verifies a session token and re-reads its entity in the index now: 403 `entity-not-registered` /
   * `entity-not-approved` once revoked, 401 `token-role-changed` once re-roled, whatever the token's expiry.
   */
  authenticate(token: string): Promise<VerifyTokenReturnType>;
  /** Express 5 middleware: `Authorization: Bearer <token>` → `res.locals.session`. */
  requireSession(parameters?: RequireSessionParameters): RequestHandler;
};

/**
 * Sign-In with Ethereum (EIP-4361) for the API: nonces, message checks, EOA signature recovery (ethers, no provider,
 * no network) and short-lived HS256 session JWTs bound to a registered, approved entity and its role.
 *
 * Sign-in checks, in order: the message parses (400 `siwe-message-invalid`); its domain, scheme and URI origin are
 * the API's (401 `siwe-domain-mismatch`) and so is its chain (401 `siwe-chain-mismatch`); its nonce is outstanding
 * and unexpired (401 `siwe-nonce-invalid`), and is consumed from here on whatever happens next; Expiration Time and
 * Not Before hold (401 `siwe-expired`); the signature recovers the message's address (401 `siwe-signature-invalid`);
 * the address is a registered (403 `entity-not-registered`), approved (403 `entity-not-approved`) entity.
 *
 * @example
 * const auth = createSiweAuth({
 *   domain: 'api.example.com',
 *   uri: 'https://api.example.com',
 *   chainId: 31337,
 *   secret: randomBytes(32),
 *   lookupEntity: (address) => index.entity(address),
 * })
 * const { nonce } = auth.issueNonce()
 * const message = auth.messageFor({ address: wallet.address, nonce })
 * const { token } = await auth.signIn({ message, signature: await wallet.signMessage(message) })
 * app.post('/twins/:deviceId/commands', auth.requireSession({ roles: ['owner', 'security'] }), handler)
 */
export function createSiweAuth(parameters: CreateSiweAuthParameters): SiweAuth {
  const { domain, uri, chainId, lookupEntity } = parameters;
  const tokenTtlSeconds = parameters.tokenTtlSeconds ?? 900;
  const nonceTtlSeconds = parameters.nonceTtlSeconds ?? 300;
  const maxOutstandingNonces = parameters.maxOutstandingNonces ?? 10_000;
  const now = parameters.now ?? Date.now;
  const origin = assertOptions({ ...parameters, tokenTtlSeconds, nonceTtlSeconds, maxOutstandingNonces });
  const secret = Uint8Array.from(parameters.secret);
  const { usedNonces } = parameters;
  const nonces =
    usedNonces === undefined
      ? createNonceStore({ ttlSeconds: nonceTtlSeconds, maxOutstanding: maxOutstandingNonces, now })
      : createSignedNonces({ secret, ttlSeconds: nonceTtlSeconds, now });
  const consumeNonce = async (nonce: string): Promise<boolean> => {
    if (usedNonces === undefined) return (nonces as NonceStore).consume(nonce);
    const expiresAtMs = nonces.peek(nonce);
    return expiresAtMs !== undefined && (await usedNonces.consume(nonce, expiresAtMs));
  };

  const verifyToken = (token: string) =>
    verifySessionToken({ token, domain, secret, now: now(), maxTokenAgeSeconds: tokenTtlSeconds });

  const recheckEntity = async (session: Session) => {
    const role = await checkEntity({ address: session.address, lookupEntity });
    if (role !== session.role) {
      throw new ApiError('Session role changed; sign in again.', {
        status: 401,
        code: 'token-role-changed',
        details: { tokenRole: session.role, role },
      });
    }
  };

  const assertBinding = (message: ParsedSiweMessage) => {
    const sameOrigin = originOf(message.uri) === origin.origin;
    const sameScheme = message.scheme === undefined || `${message.scheme}:` === origin.protocol;
    if (message.domain.toLowerCase() !== domain.toLowerCase() || !sameOrigin || !sameScheme) {
      throw new ApiError('Sign-in message is for another domain.', {
        status: 401,
        code: 'siwe-domain-mismatch',
        details: { expected: { domain, uri }, received: { domain: message.domain, uri: message.uri } },
      });
    }
    if (message.chainId !== chainId) {
      throw new ApiError('Sign-in message is for another chain.', {
        status: 401,
        code: 'siwe-chain-mismatch',
        details: { expected: chainId, received: message.chainId },
      });
    }
  };

  const assertTimes = (message: ParsedSiweMessage) => {
    const time = now();
    const expired = message.expirationTime !== undefined && time >= Date.parse(message.expirationTime);
    const early = message.notBefore !== undefined && time < Date.parse(message.notBefore);
    if (expired || early) {
      throw new ApiError('Sign-in message is not valid now.', {
        status: 401,
        code: 'siwe-expired',
        details: { reason: expired ? 'expired' : 'not-yet-valid', now: new Date(time).toISOString() },
      });
    }
  };

  return {
    issueNonce() {
      const { nonce, expiresAtMs } = nonces.issue();
      return { nonce, expiresAt: new Date(expiresAtMs).toISOString() };
    },

    messageFor({ address, nonce, statement }) {
      let checksummed: string;
      try {
        checksummed = getAddress(address);
      } catch (error) {
        throw new ApiError('Invalid address.', { status: 400, code: 'address-invalid', cause: error });
      }
      const expiresAtMs = nonces.peek(nonce);
      if (expiresAtMs === undefined) throw nonceInvalid();
      const message = formatSiweMessage({
        domain,
        address: checksummed,
        statement,
        uri,
        chainId,
        nonce,
        issuedAt: new Date(now()).toISOString(),
        expirationTime: new Date(expiresAtMs).toISOString(),
      });
      parseSiweMessage(message);
      return message;
    },

    async signIn({ message, signature }) {
      const parsed = parseSiweMessage(message);
      assertBinding(parsed);
      if (!(await consumeNonce(parsed.nonce))) throw nonceInvalid();
      assertTimes(parsed);
      if (recoverSigner(message, signature) !== parsed.address) {
        throw new ApiError('Signature does not match the address.', { status: 401, code: 'siwe-signature-invalid' });
      }
      const role = await checkEntity({ address: parsed.address, lookupEntity });
      const { token, session } = await signSessionToken({
        address: parsed.address,
        role,
        domain,
        secret,
        now: now(),
        ttlSeconds: tokenTtlSeconds,
      });
      return { token, expiresAt: session.expiresAt, address: session.address, role };
    },

    verifyToken,

    async authenticate(token) {
      const session = await verifyToken(token);
      await recheckEntity(session);
      return session;
    },

    requireSession: createRequireSession({ realm: domain, verifyToken, recheckEntity }),
  };
}

/** The checksummed signer of an EIP-191 signature over `message`, or `undefined` when it does not recover. */
function recoverSigner(message: string, signature: string): string | undefined {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
  try {
    return verifyMessage(message, signature);
  } catch {
    return undefined;
  }
}

function nonceInvalid(): ApiError {
  return new ApiError('Unknown, used or expired nonce.', { status: 401, code: 'siwe-nonce-invalid' });
}

function originOf(value: string): string | undefined {
  try {
    const { origin } = new URL(value);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Throws 500 `auth-config-invalid` on a bad option; returns the parsed API origin. */
function assertOptions(
  options: Pick<CreateSiweAuthParameters, 'domain' | 'uri' | 'chainId' | 'secret'> & {
    tokenTtlSeconds: number;
    nonceTtlSeconds: number;
    maxOutstandingNonces: number;
  },
): URL {
  const fail = (reason: string) =>
    new ApiError('Invalid auth configuration.', { status: 500, code: 'auth-config-invalid', details: { reason } });
  if (!(options.secret instanceof Uint8Array) || options.secret.byteLength < 32) throw fail('secret under 32 bytes');
  if (typeof options.domain !== 'string' || !/^[^\s/]+$/.test(options.domain)) throw fail('domain is not host[:port]');
  if (originOf(options.uri) === undefined) throw fail('uri is not an origin');
  if (!Number.isSafeInteger(options.chainId) || options.chainId <= 0) throw fail('chainId not a positive integer');
  for (const key of ['tokenTtlSeconds', 'nonceTtlSeconds', 'maxOutstandingNonces'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] <= 0) throw fail(`${key} not a positive integer`);
  }
  return new URL(options.uri);
}
