import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wallet, type HDNodeWallet } from 'ethers';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { ApiError, type ApiErrorBody } from '../../api/src/errors';
import {
  createSiweAuth,
  formatSiweMessage,
  getSession,
  nonceResponseSchema,
  sessionSchema,
  signInRequestSchema,
  signInResponseSchema,
  type CreateSiweAuthParameters,
  type EntityRecord,
} from '../../api/src/auth';

const domain = 'api.twins.test:8443';
const uri = 'https://api.twins.test:8443';
const chainId = 31337;

/** A fresh auth instance with a settable clock and an in-memory entity index. */
function setup(overrides: Partial<CreateSiweAuthParameters> = {}) {
  const clock = { ms: Date.parse('2030-01-01T00:00:00.000Z') };
  const entities = new Map<string, EntityRecord>();
  const auth = createSiweAuth({
    domain,
    uri,
    chainId,
    secret: randomBytes(32),
    lookupEntity: (address) => entities.get(address),
    now: () => clock.ms,
    ...overrides,
  });
  return { auth, clock, entities };
}

/** Registers a fresh wallet as an approved owner. */
function approvedOwner(entities: Map<string, EntityRecord>): HDNodeWallet {
  const wallet = Wallet.createRandom();
  entities.set(wallet.address, { role: 'owner', status: 'approved' });
  return wallet;
}

/** What the promise rejected with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    return error as ApiError;
  }
  expect.fail('expected the promise to reject');
}

/** Runs `action` and returns the ApiError it threw. */
function thrownApiError(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(ApiError);
    return error as ApiError;
  }
  expect.fail('expected the call to throw');
}

function expectApiError(error: ApiError, status: number, code: string) {
  expect({ status: error.status, code: error.code }).to.deep.equal({ status, code });
  expect(error.body.error.code).to.equal(code);
}

describe('api/auth: Sign-In with Ethereum and session tokens', () => {
  it('signs in with a valid message and returns a token that verifies', async () => {
    const { auth, entities } = setup();
    const wallet = approvedOwner(entities);
    const issued = auth.issueNonce();
    expect(nonceResponseSchema.parse(issued)).to.deep.equal(issued);

    const message = auth.messageFor({ address: wallet.address.toLowerCase(), nonce: issued.nonce, statement: 'Hi.' });
    expect(message).to.include(`${domain} wants you to sign in with your Ethereum account:\n${wallet.address}\n\nHi.`);
    expect(message).to.include(`Expiration Time: ${issued.expiresAt}`);
    const body = signInRequestSchema.parse({ message, signature: await wallet.signMessage(message) });

    const signedIn = await auth.signIn(body);
    expect(signInResponseSchema.parse(signedIn)).to.deep.equal(signedIn);
    expect(signedIn).to.include({ address: wallet.address, role: 'owner', expiresAt: '2030-01-01T00:15:00.000Z' });

    const session = await auth.verifyToken(signedIn.token);
    expect(sessionSchema.parse(session)).to.deep.equal(session);
    expect(session).to.include({ address: wallet.address, role: 'owner', expiresAt: signedIn.expiresAt });

    const claims = JSON.parse(Buffer.from(signedIn.token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).to.include({ sub: wallet.address, role: 'owner', iss: domain, aud: domain, jti: session.tokenId });
    expect(claims.exp - claims.iat).to.equal(900);
  });

  it('rejects a signature made by another key: 401 siwe-signature-invalid', async () => {
    const { auth, entities } = setup();
    const wallet = approvedOwner(entities);
    const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    const forged = await Wallet.createRandom().signMessage(message);
    expectApiError(await rejectionOf(auth.signIn({ message, signature: forged })), 401, 'siwe-signature-invalid');
  });

  it('consumes the nonce: a replay, even of a valid sign-in, is 401 siwe-nonce-invalid', async () => {
    const { auth, entities } = setup();
    const wallet = approvedOwner(entities);
    const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    const signature = await wallet.signMessage(message);
    await auth.signIn({ message, signature });
    expectApiError(await rejectionOf(auth.signIn({ message, signature })), 401, 'siwe-nonce-invalid');
  });

  it('consumes the nonce even when a later check fails', async () => {
    const { auth, entities } = setup();
    const wallet = approvedOwner(entities);
    const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    const forged = await Wallet.createRandom().signMessage(message);
    expectApiError(await rejectionOf(auth.signIn({ message, signature: forged })), 401, 'siwe-signature-invalid');
    const signature = await wallet.signMessage(message);
    expectApiError(await rejectionOf(auth.signIn({ message, signature })), 401, 'siwe-nonce-invalid');
  });

  it('rejects an unknown nonce and an expired one (injected clock): 401 siwe-nonce-invalid', async () => {
    const { auth, clock, entities } = setup();
    const wallet = approvedOwner(entities);
    const unknown = formatSiweMessage({
      domain,
      address: wallet.address,
      uri,
      chainId,
      nonce: 'abcdef0123456789',
      issuedAt: new Date(clock.ms).toISOString(),
    });
    const unknownSignature = await wallet.signMessage(unknown);
    expectApiError(
      await rejectionOf(auth.signIn({ message: unknown, signature: unknownSignature })),
      401,
      'siwe-nonce-invalid',
    );

    const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    const signature = await wallet.signMessage(message);
    clock.ms += 300_000;
    expectApiError(await rejectionOf(auth.signIn({ message, signature })), 401, 'siwe-nonce-invalid');
  });

  it('rejects a message past its Expiration Time or before its Not Before: 401 siwe-expired', async () => {
    const { auth, clock, entities } = setup();
    const wallet = approvedOwner(entities);
    const at = (seconds: number) => new Date(clock.ms + seconds * 1000).toISOString();
    const fields = { domain, address: wallet.address, uri, chainId, issuedAt: at(-60) };
    for (const times of [{ expirationTime: at(-1) }, { notBefore: at(60) }]) {
      const message = formatSiweMessage({ ...fields, ...times, nonce: auth.issueNonce().nonce });
      const error = await rejectionOf(auth.signIn({ message, signature: await wallet.signMessage(message) }));
      expectApiError(error, 401, 'siwe-expired');
    }
  });

  it('rejects a message for another domain, URI or chain: 401 siwe-domain-mismatch / siwe-chain-mismatch', async () => {
    const { auth, clock, entities } = setup();
    const wallet = approvedOwner(entities);
    const base = { domain, address: wallet.address, uri, chainId, issuedAt: new Date(clock.ms).toISOString() };
    const cases = [
      [{ domain: 'evil.example' }, 'siwe-domain-mismatch'],
      [{ uri: 'https://evil.example/login' }, 'siwe-domain-mismatch'],
      [{ scheme: 'http' }, 'siwe-domain-mismatch'],
      [{ chainId: 1 }, 'siwe-chain-mismatch'],
    ] as const;
    for (const [change, code] of cases) {
      const message = formatSiweMessage({ ...base, ...change, nonce: auth.issueNonce().nonce });
      const error = await rejectionOf(auth.signIn({ message, signature: await wallet.signMessage(message) }));
      expectApiError(error, 401, code);
    }
  });

  it('rejects text that is not an EIP-4361 message: 400 siwe-message-invalid', async () => {
    const { auth, entities } = setup();
    const wallet = approvedOwner(entities);
    const lowercase = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    for (const message of [
      'hello',
      lowercase.replace(wallet.address, wallet.address.toLowerCase()),
      'x'.repeat(5000),
    ]) {
      const error = await rejectionOf(auth.signIn({ message, signature: await wallet.signMessage(message) }));
      expectApiError(error, 400, 'siwe-message-invalid');
    }
  });

  it('rejects an unregistered address and a pending or revoked entity: 403', async () => {
    const { auth, entities } = setup();
    const signInAs = async (wallet: HDNodeWallet) => {
      const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
      return rejectionOf(auth.signIn({ message, signature: await wallet.signMessage(message) }));
    };
    const stranger = Wallet.createRandom();
    expectApiError(await signInAs(stranger), 403, 'entity-not-registered');
    entities.set(stranger.address, { role: 'none', status: 'approved' });
    expectApiError(await signInAs(stranger), 403, 'entity-not-registered');
    for (const status of ['pending', 'revoked'] as const) {
      const wallet = Wallet.createRandom();
      entities.set(wallet.address, { role: 'security', status });
      expectApiError(await signInAs(wallet), 403, 'entity-not-approved');
    }
  });

  it('rejects a tampered token and one signed with another secret: 401 token-invalid', async () => {
    const { auth, entities } = setup();
    const wallet = approvedOwner(entities);
    const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    const { token } = await auth.signIn({ message, signature: await wallet.signMessage(message) });

    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const escalated = Buffer.from(JSON.stringify({ ...claims, role: 'security' })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BA' : 'AA');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    for (const bad of [
      `${header}.${escalated}.${signature}`,
      `${header}.${payload}.${flipped}`,
      unsigned,
      'x.y.z',
      '',
    ]) {
      expectApiError(await rejectionOf(auth.verifyToken(bad)), 401, 'token-invalid');
    }

    const other = setup();
    expectApiError(await rejectionOf(other.auth.verifyToken(token)), 401, 'token-invalid');
  });

  it('rejects an expired token (injected clock): 401 token-expired', async () => {
    const { auth, clock, entities } = setup({ tokenTtlSeconds: 60 });
    const wallet = approvedOwner(entities);
    const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
    const { token } = await auth.signIn({ message, signature: await wallet.signMessage(message) });
    clock.ms += 59_000;
    expect((await auth.verifyToken(token)).address).to.equal(wallet.address);
    clock.ms += 1_000;
    expectApiError(await rejectionOf(auth.verifyToken(token)), 401, 'token-expired');
  });

  it('refuses a secret under 32 bytes: 500 auth-config-invalid', () => {
    expectApiError(
      thrownApiError(() => setup({ secret: randomBytes(31) })),
      500,
      'auth-config-invalid',
    );
  });

  it('keeps at most maxOutstandingNonces nonces, evicting the oldest', async () => {
    const { auth, entities } = setup({ maxOutstandingNonces: 2 });
    const wallet = approvedOwner(entities);
    const [oldest, middle, newest] = [auth.issueNonce(), auth.issueNonce(), auth.issueNonce()];
    expectApiError(
      thrownApiError(() => auth.messageFor({ address: wallet.address, nonce: oldest.nonce })),
      401,
      'siwe-nonce-invalid',
    );
    for (const { nonce } of [middle, newest]) {
      const message = auth.messageFor({ address: wallet.address, nonce });
      expect((await auth.signIn({ message, signature: await wallet.signMessage(message) })).role).to.equal('owner');
    }
  });

  describe('requireSession()', () => {
    let server: Server;
    let base: string;
    const { auth, entities } = setup();

    before(async () => {
      const app = express();
      app.get('/me', auth.requireSession(), (_req, res) => {
        res.json(getSession(res));
      });
      app.get('/security-only', auth.requireSession({ roles: ['security'] }), (_req, res) => {
        res.json(res.locals.session);
      });
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        if (error instanceof ApiError) res.status(error.status).json(error.body);
        else res.status(500).json({ error: { code: 'internal', message: String(error) } });
      });
      server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    const tokenFor = async (wallet: HDNodeWallet) => {
      const message = auth.messageFor({ address: wallet.address, nonce: auth.issueNonce().nonce });
      return (await auth.signIn({ message, signature: await wallet.signMessage(message) })).token;
    };
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}${path}`, { headers });
      return {
        status: response.status,
        /** An error body, or the session on 200. */
        body: (await response.json()) as ApiErrorBody,
        challenge: response.headers.get('www-authenticate'),
      };
    };

    it('answers 401 token-missing without an Authorization header, or with a non-Bearer one', async () => {
      for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }] as Record<string, string>[]) {
        const { status, body, challenge } = await get('/me', headers);
        expect({ status, code: body.error.code }).to.deep.equal({ status: 401, code: 'token-missing' });
        expect(challenge).to.equal(`Bearer realm="${domain}"`);
      }
    });

    it('answers 401 token-invalid for a bad token', async () => {
      const { status, body, challenge } = await get('/me', { authorization: 'Bearer not.a.jwt' });
      expect({ status, code: body.error.code }).to.deep.equal({ status: 401, code: 'token-invalid' });
      expect(challenge).to.include('error="invalid_token"');
    });

    it('puts the session on res.locals.session for a valid token', async () => {
      const wallet = approvedOwner(entities);
      const { status, body } = await get('/me', { authorization: `Bearer ${await tokenFor(wallet)}` });
      expect(status).to.equal(200);
      expect(sessionSchema.parse(body)).to.include({ address: wallet.address, role: 'owner' });
    });

    it('answers 403 role-not-allowed when the route wants another role', async () => {
      const wallet = approvedOwner(entities);
      const { status, body } = await get('/security-only', { authorization: `Bearer ${await tokenFor(wallet)}` });
      expect({ status, code: body.error.code }).to.deep.equal({ status: 403, code: 'role-not-allowed' });
    });

    it('re-checks the entity: revoked → 403 entity-not-approved, re-roled → 401 token-role-changed', async () => {
      const wallet = approvedOwner(entities);
      const authorization = `Bearer ${await tokenFor(wallet)}`;
      entities.set(wallet.address, { role: 'owner', status: 'revoked' });
      let answer = await get('/me', { authorization });
      expect({ status: answer.status, code: answer.body.error.code }).to.deep.equal({
        status: 403,
        code: 'entity-not-approved',
      });
      entities.set(wallet.address, { role: 'security', status: 'approved' });
      answer = await get('/me', { authorization });
      expect({ status: answer.status, code: answer.body.error.code }).to.deep.equal({
        status: 401,
        code: 'token-role-changed',
      });
    });
  });

  it('exports zod schemas that convert to JSON Schema', () => {
    const schema = z.toJSONSchema(signInRequestSchema) as { properties: Record<string, { maxLength?: number }> };
    expect(schema.properties.message!.maxLength).to.equal(4096);
    expect(signInRequestSchema.safeParse({ message: 'm', signature: '0x1234' }).success).to.equal(false);
  });
});
