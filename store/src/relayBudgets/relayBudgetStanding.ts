import type { Db } from '../pool/withTransaction';
import type { TimeInput } from '../values';
import {
  entityText,
  nowValue,
  policyValues,
  standingOf,
  windowSql,
  type RelayBudgetPolicy,
  type RelayBudgetStanding,
} from './types';

/** Parameters of {@link relayBudgetStanding}. */
export type RelayBudgetStandingParameters = {
  /** The signer whose budget it is (an address; compared ignoring case). */
  entity: string;
  policy: RelayBudgetPolicy;
  /** Default: the database's clock (one clock for every instance). */
  now?: TimeInput;
};

const STANDING = {
  name: 'store.relayBudgets.standing',
  text: `WITH ${windowSql('$3', '$2')}
         SELECT win.now, win.start, w.gas::text AS gas, w.requests
         FROM win LEFT JOIN relay_budget_windows w
           ON w.entity = $1 AND w.window_seconds = $2::int AND w.window_start = win.start`,
};

/**
 * One entity's budget in its current window: what it used (open reservations at their gas, settled ones at the gas
 * they used), what is left, and when it refills. Every instance reads the same.
 *
 * @example
 * const standing = await relayBudgetStanding(store, { entity: from, policy: { windowSeconds: 3_600, gas: 2_000_000n, requests: 30 } })
 * standing.remaining.requests // 29
 */
export async function relayBudgetStanding(
  db: Db,
  parameters: RelayBudgetStandingParameters,
): Promise<RelayBudgetStanding> {
  const entity = entityText(parameters.entity);
  const policy = policyValues(parameters.policy);
  const { rows } = await db.query<{ now: Date; start: Date; gas: string | null; requests: number | null }>(STANDING, [
    entity,
    policy.windowSeconds,
    nowValue(parameters.now),
  ]);
  return standingOf(entity, parameters.policy, rows[0]!);
}
