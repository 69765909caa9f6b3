import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { toIso, type TimeInput } from '../values';
import { relayBudgetStanding } from './relayBudgetStanding';
import {
  MAX_RELAY_RESERVATION_SECONDS,
  entityText,
  gasText,
  nowValue,
  policyValues,
  standingOf,
  windowSql,
  type RelayBudgetPolicy,
  type RelayBudgetReservation,
  type RelayBudgetStanding,
} from './types';

/** Parameters of {@link reserveRelayBudget}. */
export type ReserveRelayBudgetParameters = {
  /** The signer whose budget pays (an address; compared ignoring case). */
  entity: string;
  /** The gas to reserve: the request's signed gas limit. */
  gas: bigint;
  policy: RelayBudgetPolicy;
  /**
   * How long the reservation stays open, seconds (1 to a day): past it, it stays counted at `gas` (its instance
   * may have broadcast before it crashed) and can no longer be settled or released.
   */
  reservationSeconds: number;
  /** Default: the database's clock (one clock for every instance). */
  now?: TimeInput;
};

/** What {@link reserveRelayBudget} did: reserved (and the standing after), or refused (and the standing). */
export type ReserveRelayBudgetResult =
  | { reserved: true; reservation: RelayBudgetReservation; standing: RelayBudgetStanding }
  | { reserved: false; over: 'gas' | 'requests'; standing: RelayBudgetStanding };

/*
 * One statement: the window's row is inserted, or updated only when the reservation fits (ON CONFLICT DO UPDATE …
 * WHERE re-reads the row it waited for, so concurrent reservations from any instance are serialised on it and never
 * exceed the limits), and the reservation row is written from what was counted.
 */
const RESERVE = {
  name: 'store.relayBudgets.reserve',
  text: `WITH ${windowSql('$4', '$2')},
         counted AS (
           INSERT INTO relay_budget_windows AS w (entity, window_seconds, window_start, window_end, gas, requests)
           SELECT $1, $2::int, win.start, win.start + make_interval(secs => $2::int), $3::numeric, 1 FROM win
           WHERE $3::numeric <= $5::numeric AND $6::int >= 1
           ON CONFLICT (entity, window_seconds, window_start) DO UPDATE
             SET gas = w.gas + excluded.gas, requests = w.requests + 1
             WHERE w.gas + excluded.gas <= $5::numeric AND w.requests + 1 <= $6::int
           RETURNING w.window_start, w.gas::text AS gas, w.requests
         ),
         reserved AS (
           INSERT INTO relay_budget_reservations (entity, window_seconds, window_start, gas, reserved_at, expires_at)
           SELECT $1, $2::int, counted.window_start, $3::numeric, win.now, win.now + make_interval(secs => $7::int)
           FROM counted, win
           RETURNING id::text AS id, expires_at
         )
         SELECT win.now, win.start, counted.gas, counted.requests, reserved.id, reserved.expires_at
         FROM win LEFT JOIN counted ON true LEFT JOIN reserved ON true`,
};

/**
 * Reserves `gas` and one request of an entity's budget in its current window, atomically across instances: when it
 * would take the window's gas or requests past the policy's limits, nothing is reserved and the standing says what
 * is left. Settle the reservation with the gas used ({@link settleRelayBudget}) or give it back when nothing was
 * broadcast ({@link releaseRelayBudget}); one left open (a crashed instance) expires after `reservationSeconds` and
 * stays counted at `gas` until its window ends.
 *
 * @example
 * const result = await reserveRelayBudget(store, { entity: from, gas: 120_000n, policy, reservationSeconds: 600 })
 * if (!result.reserved) throw tooMany(result.standing)
 * await settleRelayBudget(store, { reservation: result.reservation, gasUsed: receipt.gasUsed })
 */
export async function reserveRelayBudget(
  db: Db,
  parameters: ReserveRelayBudgetParameters,
): Promise<ReserveRelayBudgetResult> {
  const entity = entityText(parameters.entity);
  const policy = policyValues(parameters.policy);
  const gas = gasText(parameters.gas);
  const seconds = parameters.reservationSeconds;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_RELAY_RESERVATION_SECONDS) {
    throw new StoreError('Invalid reservationSeconds.', {
      details: `expected an integer 1–${MAX_RELAY_RESERVATION_SECONDS}, got ${String(seconds)}`,
    });
  }
  const { rows } = await db.query<{
    now: Date;
    start: Date;
    gas: string | null;
    requests: number | null;
    id: string | null;
    expires_at: Date | null;
  }>(RESERVE, [entity, policy.windowSeconds, gas, nowValue(parameters.now), policy.gas, policy.requests, seconds]);
  const row = rows[0]!;
  if (row.id === null || row.expires_at === null) {
    // Read at the statement's time, so the standing is of the window that refused.
    const standing = await relayBudgetStanding(db, { entity, policy: parameters.policy, now: row.now });
    const overGas = standing.used.gas + parameters.gas > standing.limit.gas;
    return { reserved: false, over: overGas ? 'gas' : 'requests', standing };
  }
  return {
    reserved: true,
    reservation: {
      id: row.id,
      entity,
      windowSeconds: policy.windowSeconds,
      windowStart: toIso(row.start),
      gas: parameters.gas,
      expiresAt: toIso(row.expires_at),
    },
    standing: standingOf(entity, parameters.policy, row),
  };
}
