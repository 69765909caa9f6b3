import { expect } from 'chai';
import {
  StoreError,
  pruneRelayBudgets,
  relayBudgetStanding,
  releaseRelayBudget,
  reserveRelayBudget,
  settleRelayBudget,
  type RelayBudgetPolicy,
  type RelayBudgetReservation,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const addressOf = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const HOUR = 3_600_000;
/** A window start: [T0, T0 + 1 h). */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % HOUR);
const POLICY: RelayBudgetPolicy = { windowSeconds: 3_600, gas: 200_000n, requests: 3 };

describe("store: the API's relayer budgets (migration 10), shared by every instance", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  let other: Store;
  let entity = 100;
  /** A fresh entity per test: the tests share one database. */
  const fresh = () => addressOf(++entity);
  const reserve = async (db: Store, who: string, gas: bigint, now: number, policy = POLICY, reservationSeconds = 600) =>
    reserveRelayBudget(db, { entity: who, gas, policy, reservationSeconds, now });
  const reserved = async (...args: Parameters<typeof reserve>): Promise<RelayBudgetReservation> => {
    const result = await reserve(...args);
    if (!result.reserved) expect.fail(`refused: ${JSON.stringify(result.standing, (_k, v) => String(v))}`);
    return result.reservation;
  };

  before(async function () {
    database = await createTestDatabase();
    store = await database.open();
    other = await database.open(); // a second instance's pool
  });

  it('reserves what fits, refuses gas past the limit naming gas, with what is left and the refill time', async function () {
    const who = fresh();
    const at = T0 + 60_000;
    await settleRelayBudget(store, {
      reservation: await reserved(store, who, 150_000n, at),
      gasUsed: 150_000n,
      now: at,
    });
    const refused = await reserve(other, who, 60_000n, at);
    expect(refused.reserved).to.equal(false);
    if (refused.reserved) return;
    expect(refused.over).to.equal('gas');
    expect(refused.standing).to.deep.include({
      entity: who,
      windowSeconds: 3_600,
      used: { gas: 150_000n, requests: 1 },
      remaining: { gas: 50_000n, requests: 2 },
      windowStart: new Date(T0).toISOString(),
      refillsAt: new Date(T0 + HOUR).toISOString(),
      now: new Date(at).toISOString(),
    });
    // What fits is still taken, by either instance, and both read the same standing.
    await reserved(other, who, 50_000n, at);
    const [a, b] = await Promise.all([
      relayBudgetStanding(store, { entity: who, policy: POLICY, now: at }),
      relayBudgetStanding(other, { entity: who, policy: POLICY, now: at }),
    ]);
    expect(a).to.deep.equal(b);
    expect(a.remaining).to.deep.equal({ gas: 0n, requests: 1 });
  });

  it('refuses a request past the request limit whatever its gas, naming requests', async function () {
    const who = fresh();
    for (let i = 0; i < 3; i++) {
      await settleRelayBudget(store, { reservation: await reserved(store, who, 1_000n, T0), gasUsed: 900n, now: T0 });
    }
    const refused = await reserve(store, who, 1n, T0);
    expect(refused).to.deep.include({ reserved: false, over: 'requests' });
    expect(refused.standing.used).to.deep.equal({ gas: 2_700n, requests: 3 });
  });

  it('settles once with the gas used, releases what was not broadcast; neither after the other', async function () {
    const who = fresh();
    const open = await reserved(store, who, 180_000n, T0);
    expect((await relayBudgetStanding(store, { entity: who, policy: POLICY, now: T0 })).remaining.gas).to.equal(
      20_000n,
    );
    expect(await settleRelayBudget(other, { reservation: open, gasUsed: 64_000n, now: T0 })).to.equal(true);
    expect(await settleRelayBudget(store, { reservation: open, gasUsed: 1n, now: T0 })).to.equal(false);
    expect(await releaseRelayBudget(store, { reservation: open, now: T0 })).to.equal(false);
    expect((await relayBudgetStanding(store, { entity: who, policy: POLICY, now: T0 })).used).to.deep.equal({
      gas: 64_000n,
      requests: 1,
    });
    const back = await reserved(store, who, 136_000n, T0);
    expect(await releaseRelayBudget(other, { reservation: back, now: T0 })).to.equal(true);
    expect(await releaseRelayBudget(store, { reservation: back, now: T0 })).to.equal(false);
    expect((await relayBudgetStanding(store, { entity: who, policy: POLICY, now: T0 })).used).to.deep.equal({
      gas: 64_000n,
      requests: 1,
    });
  });

  it('refills when the window ends; windows of another length count apart; the address case does not matter', async function () {
    const who = fresh();
    await reserved(store, who, 200_000n, T0 + HOUR - 1);
    expect((await reserve(store, who.toUpperCase().replace('0X', '0x'), 1n, T0 + HOUR - 1)).reserved).to.equal(false);
    const next = await reserve(store, who, 200_000n, T0 + HOUR);
    expect(next.reserved).to.equal(true);
    expect(next.standing).to.deep.include({
      windowStart: new Date(T0 + HOUR).toISOString(),
      refillsAt: new Date(T0 + 2 * HOUR).toISOString(),
    });
    const tenMinutes = { ...POLICY, windowSeconds: 600 };
    expect((await reserve(store, who, 200_000n, T0 + HOUR, tenMinutes)).reserved).to.equal(true);
    // The database's clock when none is given: the window holds the server's now.
    const live = await reserveRelayBudget(store, { entity: who, gas: 1n, policy: POLICY, reservationSeconds: 60 });
    expect(live.reserved).to.equal(true);
    const { now, windowStart, refillsAt } = live.standing;
    expect(Math.abs(Date.parse(now) - Date.now())).to.be.below(60_000);
    expect(Date.parse(windowStart)).to.be.at.most(Date.parse(now));
    expect(Date.parse(refillsAt)).to.be.greaterThan(Date.parse(now));
  });

  it('counts an expired reservation (a crashed instance) at its reserved gas until its window ends, then prunes it', async function () {
    const who = fresh();
    const crashed = await reserved(store, who, 120_000n, T0, POLICY, 300);
    expect(crashed.expiresAt).to.equal(new Date(T0 + 300_000).toISOString());
    const late = T0 + 300_000;
    expect(await settleRelayBudget(other, { reservation: crashed, gasUsed: 1_000n, now: late })).to.equal(false);
    expect(await releaseRelayBudget(other, { reservation: crashed, now: late })).to.equal(false);
    expect((await relayBudgetStanding(other, { entity: who, policy: POLICY, now: late })).used).to.deep.equal({
      gas: 120_000n,
      requests: 1,
    });
    const count = async (table: string) =>
      (await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE entity = $1`, [who])).rows[0]!.n;
    await pruneRelayBudgets(store, { now: late - 1 }); // (other tests' rows of the real clock, before T0, go)
    expect(await count('relay_budget_reservations')).to.equal(1);
    const pruned = await pruneRelayBudgets(store, { now: late });
    expect(pruned.reservations).to.be.at.least(1);
    expect(await count('relay_budget_reservations')).to.equal(0);
    expect(await count('relay_budget_windows')).to.equal(1); // still counted in its window
    expect((await pruneRelayBudgets(store, { now: T0 + HOUR })).windows).to.be.at.least(1);
    expect(await count('relay_budget_windows')).to.equal(0);
    expect((await reserve(store, who, 200_000n, T0 + HOUR)).reserved).to.equal(true);
  });

  it('never exceeds the limits when two instances reserve at once', async function () {
    const who = fresh();
    const policy: RelayBudgetPolicy = { windowSeconds: 3_600, gas: 100_000n, requests: 1_000 };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => reserve(i % 2 === 0 ? store : other, who, 10_000n, T0, policy)),
    );
    expect(results.filter((result) => result.reserved)).to.have.length(10);
    const standing = await relayBudgetStanding(store, { entity: who, policy, now: T0 });
    expect(standing.used).to.deep.equal({ gas: 100_000n, requests: 10 });
    // The request limit the same way, on a fresh entity (its window row inserted by the race itself).
    const next = fresh();
    const byRequests: RelayBudgetPolicy = { windowSeconds: 3_600, gas: 10n ** 12n, requests: 7 };
    const counted = await Promise.all(
      Array.from({ length: 30 }, (_, i) => reserve(i % 2 === 0 ? other : store, next, 1n, T0, byRequests)),
    );
    expect(counted.filter((result) => result.reserved)).to.have.length(7);
    const { rows } = await store.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM relay_budget_reservations WHERE entity = $1',
      [next],
    );
    expect(rows[0]!.n).to.equal(7);
  });

  it('refuses bad input naming the field', async function () {
    const cases: [Promise<unknown>, string][] = [
      [reserve(store, 'alice', 1n, T0), 'Invalid entity.'],
      [reserve(store, ALICE, -1n, T0), 'Invalid gas.'],
      [reserve(store, ALICE, 1n, T0, { ...POLICY, windowSeconds: 0 }), 'Invalid windowSeconds.'],
      [reserve(store, ALICE, 1n, T0, { ...POLICY, requests: -1 }), 'Invalid request limit.'],
      [reserve(store, ALICE, 1n, T0, POLICY, 0), 'Invalid reservationSeconds.'],
      [settleRelayBudget(store, { reservation: { id: 'x' }, gasUsed: 1n }), 'Invalid reservation id.'],
      [relayBudgetStanding(store, { entity: ALICE, policy: POLICY, now: 'never' }), 'Invalid now.'],
    ];
    for (const [promise, message] of cases) {
      const error = await rejectionOf(promise);
      expect(error).to.be.instanceOf(StoreError);
      expect((error as StoreError).shortMessage).to.equal(message);
    }
  });
});
