import { expect } from 'chai';
import { ApiError } from '../../api/src/errors';
import { createRelayBudget } from '../../api/src/relay/relayBudget';
import { thrownBy } from '../helpers/thrownBy';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const HOUR = 3_600_000;
/** A fixed start, inside the window [T0, T0 + HOUR). */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % HOUR);

/** A budget of 200k gas and 3 requests an hour, on a clock the test moves. */
function budgetAt(start = T0 + 60_000) {
  const clock = { now: start };
  const budget = createRelayBudget({ windowMs: HOUR, gas: 200_000n, requests: 3, now: () => clock.now });
  return { budget, clock };
}

describe('Relayer budgets (createRelayBudget): gas and requests per entity and window (issue 14 item 4)', function () {
  describe('when an entity asks for more gas than is left', function () {
    it('refuses with 429 relay-budget-exceeded naming gas, what is left, the refill time and Retry-After', function () {
      const { budget } = budgetAt();
      budget.reserve(ALICE, 150_000n).settle(150_000n);
      const error = thrownBy(() => budget.reserve(ALICE, 60_000n)) as ApiError;
      expect(error).to.be.instanceOf(ApiError);
      expect([error.status, error.code]).to.deep.equal([429, 'relay-budget-exceeded']);
      expect(error.message).to.include('(gas)');
      expect(error.body.error.details).to.deep.include({
        remaining: { gas: '50000', requests: 2 },
        requested: { gas: '60000', requests: 1 },
        refillsAt: new Date(T0 + HOUR).toISOString(),
      });
      // 59 minutes left in the window.
      expect(error.headers['Retry-After']).to.equal(String(59 * 60));
      // What fits is still taken.
      expect(() => budget.reserve(ALICE, 50_000n)).not.to.throw();
    });
  });

  describe('when an entity has used its requests', function () {
    it('refuses the next one whatever its gas, and names requests', function () {
      const { budget } = budgetAt();
      for (let i = 0; i < 3; i++) budget.reserve(ALICE, 1_000n).settle(900n);
      const error = thrownBy(() => budget.reserve(ALICE, 1n)) as ApiError;
      expect(error.status).to.equal(429);
      expect(error.message).to.include('(requests)');
      expect(budget.standing(ALICE)).to.deep.include({
        used: { gas: '2700', requests: 3 },
        remaining: { gas: '197300', requests: 0 },
      });
    });
  });

  describe('when the transaction is mined', function () {
    it('charges the gas it used, not the gas limit reserved', function () {
      const { budget } = budgetAt();
      const reservation = budget.reserve(ALICE, 180_000n);
      expect(budget.standing(ALICE).remaining.gas).to.equal('20000');
      reservation.settle(64_000n);
      expect(budget.standing(ALICE).remaining.gas).to.equal('136000');
      reservation.settle(1n); // settled once only
      reservation.release();
      expect(budget.standing(ALICE).used).to.deep.equal({ gas: '64000', requests: 1 });
    });
  });

  describe('when nothing was broadcast', function () {
    it('gives the reservation back, gas and request', function () {
      const { budget } = budgetAt();
      budget.reserve(ALICE, 200_000n).release();
      expect(budget.standing(ALICE).used).to.deep.equal({ gas: '0', requests: 0 });
      expect(() => budget.reserve(ALICE, 200_000n)).not.to.throw();
    });
  });

  describe('when the window ends', function () {
    it('refills at refillsAt, and a reservation of the old window settles nothing in the new one', function () {
      const { budget, clock } = budgetAt();
      const open = budget.reserve(ALICE, 100_000n);
      budget.reserve(ALICE, 100_000n).settle(100_000n);
      expect(() => budget.reserve(ALICE, 1n)).to.throw(ApiError);
      clock.now = T0 + HOUR - 1;
      expect(() => budget.reserve(ALICE, 1n)).to.throw(ApiError);
      clock.now = T0 + HOUR;
      open.settle(100_000n);
      expect(budget.standing(ALICE)).to.deep.include({
        used: { gas: '0', requests: 0 },
        refillsAt: new Date(T0 + 2 * HOUR).toISOString(),
      });
      expect(() => budget.reserve(ALICE, 200_000n)).not.to.throw();
    });
  });

  describe('when two entities relay', function () {
    it('keeps their budgets apart, whatever the address case', function () {
      const { budget } = budgetAt();
      budget.reserve(ALICE, 200_000n).settle(200_000n);
      expect(() => budget.reserve(ALICE.toLowerCase(), 1n)).to.throw(ApiError);
      expect(() => budget.reserve(BOB, 200_000n)).not.to.throw();
      expect(budget.standing(BOB).remaining).to.deep.equal({ gas: '0', requests: 2 });
    });
  });

  describe('when the limits are zero', function () {
    it('relays nothing', function () {
      const budget = createRelayBudget({ windowMs: HOUR, gas: 0n, requests: 0, now: () => T0 });
      expect((thrownBy(() => budget.reserve(ALICE, 1n)) as ApiError).status).to.equal(429);
    });
  });
});
