import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { createSiweAuth, type EntityRecord } from '../../api/src/auth';
import { ApiError } from '../../api/src/errors';
import { createSignedNonces } from '../../api/src/auth/signedNonces';
import { consumeSignInNonce, type Store } from '../../store/src';
import { createTestDatabase } from '../helpers/store';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');

describe('Sign-in nonces across API instances (createSignedNonces, createSiweAuth with usedNonces; issue 15)', function () {
  this.timeout(60_000);

  it('checks on any instance with the key the nonces one issued: not another key, a changed one, an expired one', function () {
    const secret = randomBytes(32);
    const clock = { ms: T0 };
    const [a, b] = [0, 1].map(() => createSignedNonces({ secret, ttlSeconds: 300, now: () => clock.ms }));
    const { nonce, expiresAtMs } = a!.issue();
    expect(nonce).to.match(/^[0-9a-f]{68}$/);
    expect(expiresAtMs).to.equal(T0 + 300_000);
    expect(b!.peek(nonce)).to.equal(expiresAtMs);
    expect(a!.issue().nonce).not.to.equal(nonce);
    const stranger = createSignedNonces({ secret: randomBytes(32), ttlSeconds: 300, now: () => clock.ms });
    expect(stranger.peek(nonce)).to.equal(undefined);
    // A later expiry written in: the MAC no longer matches.
    const later = nonce.slice(0, 24) + (expiresAtMs + 3_600_000).toString(16).padStart(12, '0') + nonce.slice(36);
    expect(b!.peek(later)).to.equal(undefined);
    expect(b!.peek('not a nonce')).to.equal(undefined);
    clock.ms = expiresAtMs;
    expect(b!.peek(nonce)).to.equal(undefined);
  });

  describe('with the used nonces in the index', function () {
    let index: Store;
    before(async function () {
      index = await (await createTestDatabase()).open();
    });
    after(async function () {
      await index?.close();
    });

    it('signs in on one instance with the nonce of another, once across both', async function () {
      const secret = randomBytes(32);
      const wallet = Wallet.createRandom();
      const entities = new Map<string, EntityRecord>([[wallet.address, { role: 'owner', status: 'approved' }]]);
      const [a, b] = [0, 1].map(() =>
        createSiweAuth({
          domain: 'twins.test',
          uri: 'https://twins.test',
          chainId: 31337,
          secret,
          lookupEntity: (address) => entities.get(address),
          usedNonces: { consume: (nonce, expiresAtMs) => consumeSignInNonce(index, { nonce, expiresAt: expiresAtMs }) },
        }),
      );
      const { nonce } = a!.issueNonce();
      const message = b!.messageFor({ address: wallet.address, nonce });
      const signed = { message, signature: await wallet.signMessage(message) };
      const session = await b!.signIn(signed);
      expect((await a!.verifyToken(session.token)).address).to.equal(wallet.address);
      for (const auth of [a!, b!]) {
        const error = await auth.signIn(signed).then(
          () => expect.fail('a replayed sign-in was accepted'),
          (error: unknown) => error as ApiError,
        );
        expect([error.status, error.code]).to.deep.equal([401, 'siwe-nonce-invalid']);
      }
    });
  });
});
