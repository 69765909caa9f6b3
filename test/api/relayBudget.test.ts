import { expect } from 'chai';
import { StoreError, type Store } from '../../store/src';
import { ApiError } from '../../api/src/errors';
import { createRelayBudget, type RelayBudget } from '../../api/src/relay/relayBudget';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const HOUR = 3_600_000;

describe('Relayer budgets (createRelayBudget): gas and requests per entity and window, in the shared index (issues 14 and 15)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let index: Store;
  /** Each test's own window: the tests share one database. */
  let hour = 1_800_000_000_000 - (1_800_000_000_000 % HOUR);

  /** A budget of 200k gas and 3 requests an hour, on a clock the test moves, 1 minute into a fresh window. */
  function budgetAt(db: Store = index) {
    hour += 10 * HOUR;
    const clock = { now: hour + 60_000, start: hour };
    const budget = createRelayBudget({
      index: db,
      windowSeconds: 3_600,
      gas: 200_000n,
      requests: 3,
      now: () => clock.now,
    });
    return { budget, clock };
  }
  const refusal = async (promise: Promise<unknown>) => (await rejectionOf(promise)) as ApiError;

  before(async function () {
    database = await createTestDatabase();
    index = await database.open();
  });

  describe('when an entity asks for more gas than is left', function () {
    it('refuses with 429 relay-budget-exceeded naming gas, what is left, the refill time and Retry-After', async function () {
      const { budget, clock } = budgetAt();
      await (await budget.reserve(ALICE, 150_000n)).settle(150_000n);
      const error = await refusal(budget.reserve(ALICE, 60_000n));
      expect(error).to.be.instanceOf(ApiError);
      expect([error.status, error.code]).to.deep.equal([429, 'relay-budget-exceeded']);
      expect(error.message).to.include('(gas)');
      expect(error.body.error.details).to.deep.include({
        remaining: { gas: '50000', requests: 2 },
        requested: { gas: '60000', requests: 1 },
        refillsAt: new Date(clock.start + HOUR).toISOString(),
      });
      // 59 minutes left in the window.
      expect(error.headers['Retry-After']).to.equal(String(59 * 60));
      // What fits is still taken.
      await budget.reserve(ALICE, 50_000n);
    });
  });

  describe('when an entity has used its requests', function () {
    it('refuses the next one whatever its gas, and names requests', async function () {
      const { budget } = budgetAt();
      for (let i = 0; i < 3; i++) await (await budget.reserve(ALICE, 1_000n)).settle(900n);
      const error = await refusal(budget.reserve(ALICE, 1n));
      expect(error.status).to.equal(429);
      expect(error.message).to.include('(requests)');
      expect(await budget.standing(ALICE)).to.deep.include({
        used: { gas: '2700', requests: 3 },
        remaining: { gas: '197300', requests: 0 },
      });
    });
  });

  describe('when the transaction is mined', function () {
    it('charges the gas it used, not the gas limit reserved', async function () {
      const { budget } = budgetAt();
      const reservation = await budget.reserve(ALICE, 180_000n);
      expect((await budget.standing(ALICE)).remaining.gas).to.equal('20000');
      await reservation.settle(64_000n);
      expect((await budget.standing(ALICE)).remaining.gas).to.equal('136000');
      await reservation.settle(1n); // settled once only
      await reservation.release();
      expect((await budget.standing(ALICE)).used).to.deep.equal({ gas: '64000', requests: 1 });
    });
  });

  describe('when nothing was broadcast', function () {
    it('gives the reservation back, gas and request', async function () {
      const { budget } = budgetAt();
      await (await budget.reserve(ALICE, 200_000n)).release();
      expect((await budget.standing(ALICE)).used).to.deep.equal({ gas: '0', requests: 0 });
      await budget.reserve(ALICE, 200_000n);
    });
  });

  describe('when the window ends', function () {
    it('refills at refillsAt, and a reservation of the old window settles nothing in the new one', async function () {
      const { budget, clock } = budgetAt();
      const open = await budget.reserve(ALICE, 100_000n);
      await (await budget.reserve(ALICE, 100_000n)).settle(100_000n);
      expect(await refusal(budget.reserve(ALICE, 1n))).to.be.instanceOf(ApiError);
      clock.now = clock.start + HOUR - 1;
      expect(await refusal(budget.reserve(ALICE, 1n))).to.be.instanceOf(ApiError);
      clock.now = clock.start + HOUR;
      await open.settle(100_000n);
      expect(await budget.standing(ALICE)).to.deep.include({
        used: { gas: '0', requests: 0 },
        refillsAt: new Date(clock.start + 2 * HOUR).toISOString(),
      });
      await budget.reserve(ALICE, 200_000n);
    });
  });

  describe('when two entities relay', function () {
    it('keeps their budgets apart, whatever the address case', async function () {
      const { budget } = budgetAt();
      await (await budget.reserve(ALICE, 200_000n)).settle(200_000n);
      expect(await refusal(budget.reserve(ALICE.toLowerCase(), 1n))).to.be.instanceOf(ApiError);
      await budget.reserve(BOB, 200_000n);
      expect((await budget.standing(BOB)).remaining).to.deep.equal({ gas: '0', requests: 2 });
    });
  });

  describe('when two instances share the index', function () {
    it('counts one budget: what one reserved the other refuses, and both read the same standing', async function () {
      const other = await database.open();
      const { budget, clock } = budgetAt();
      const second: RelayBudget = createRelayBudget({
        index: other,
        windowSeconds: 3_600,
        gas: 200_000n,
        requests: 3,
        now: () => clock.now,
      });
      await (await budget.reserve(ALICE, 120_000n)).settle(100_000n);
      await second.reserve(ALICE, 100_000n);
      const error = await refusal(second.reserve(ALICE, 1n));
      expect(error.status).to.equal(429);
      expect(await refusal(budget.reserve(ALICE, 1n))).to.have.property('status', 429);
      expect(await second.standing(ALICE)).to.deep.equal(await budget.standing(ALICE));
      await other.close();
    });
  });

  describe('when the limits are zero', function () {
    it('relays nothing', async function () {
      const budget = createRelayBudget({ index, windowSeconds: 3_600, gas: 0n, requests: 0 });
      expect((await refusal(budget.reserve(ALICE, 1n))).status).to.equal(429);
    });
  });

  describe('when the index does not answer', function () {
    it("rejects with the store's error (the API's 503 index-unavailable), and a settle never rejects", async function () {
      const down = await database.open();
      const errors: string[] = [];
      const budget = createRelayBudget({
        index: down,
        windowSeconds: 3_600,
        gas: 200_000n,
        requests: 3,
        onError: (_error, what) => errors.push(what),
      });
      const reservation = await budget.reserve(ALICE, 1n);
      await down.close();
      expect(await rejectionOf(budget.reserve(ALICE, 1n))).to.be.instanceOf(StoreError);
      expect(await rejectionOf(budget.standing(ALICE))).to.be.instanceOf(StoreError);
      await reservation.settle(1n);
      expect(errors).to.deep.equal(['settle']);
    });
  });
});
