import { expect } from 'chai';
import {
  StoreError,
  consumeSignInNonce,
  pruneSignInNonces,
  sharedSecret,
  withAdvisoryLock,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

describe("store: the API's shared sign-in state (migration 11) and withAdvisoryLock, across instances", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  let other: Store;
  before(async function () {
    database = await createTestDatabase();
    store = await database.open();
    other = await database.open(); // a second instance's pool
  });

  it('gives every instance the same random key, written once by the first of callers racing', async function () {
    const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => sharedSecret(i % 2 ? store : other, 'race')));
    expect(keys[0]).to.have.length(32);
    for (const key of keys) expect(Buffer.from(key).equals(Buffer.from(keys[0]!))).to.equal(true);
    const another = await sharedSecret(store, 'another');
    expect(Buffer.from(another).equals(Buffer.from(keys[0]!))).to.equal(false);
    expect(await rejectionOf(sharedSecret(store, 'Bad Name'))).to.be.instanceOf(StoreError);
  });

  it('consumes a sign-in nonce once across instances, and prunes the expired ones', async function () {
    const expiresAt = Date.now() + 300_000;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        consumeSignInNonce(i % 2 ? store : other, { nonce: 'abc123def456', expiresAt }),
      ),
    );
    expect(results.filter(Boolean)).to.have.length(1);
    expect(await consumeSignInNonce(other, { nonce: 'abc123def456', expiresAt })).to.equal(false);
    await consumeSignInNonce(store, { nonce: 'old0000000000', expiresAt: Date.now() - 1 });
    expect(await pruneSignInNonces(store)).to.equal(1);
    expect(await consumeSignInNonce(store, { nonce: 'abc123def456', expiresAt })).to.equal(false); // not expired: kept
    expect((await rejectionOf(consumeSignInNonce(store, { nonce: 'x', expiresAt }))).message).to.include(
      'Invalid nonce',
    );
  });

  it('runs one task at a time per lock name across instances, and frees the lock when a task throws', async function () {
    const order: string[] = [];
    const task = (db: Store, name: string, label: string) =>
      withAdvisoryLock(db, name, async () => {
        order.push(`${label}+`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        order.push(`${label}-`);
      });
    await Promise.all([task(store, 'one', 'a'), task(other, 'one', 'b'), task(store, 'one', 'c')]);
    // Never two inside at once: every start is followed by its own end.
    for (let i = 0; i < order.length; i += 2) expect(order[i]!.slice(0, 1)).to.equal(order[i + 1]!.slice(0, 1));
    // Another name does not wait.
    const started = Date.now();
    await Promise.all([task(store, 'two', 'x'), task(other, 'three', 'y')]);
    expect(Date.now() - started).to.be.below(290);
    const failed = await rejectionOf(withAdvisoryLock(other, 'one', () => Promise.reject(new Error('boom'))));
    expect(failed.message).to.equal('boom');
    expect(await withAdvisoryLock(store, 'one', async () => 'free')).to.equal('free');
  });
});
