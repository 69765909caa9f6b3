import { StoreError } from '../errors';
import { addressText, toDate, toIso, type TimeInput } from '../values';

/** The longest window a budget may have, seconds (31 days). */
export const MAX_RELAY_BUDGET_WINDOW_SECONDS = 2_678_400;
/** The longest a reservation may stay open, seconds (one day). */
export const MAX_RELAY_RESERVATION_SECONDS = 86_400;

/** One entity's limits: gas and requests per fixed window (aligned to the epoch). */
export type RelayBudgetPolicy = {
  /** The window, seconds (1 to 31 days): spending refills at the end of the window it happened in. */
  windowSeconds: number;
  /** Gas an entity may have relayed per window (0: none). */
  gas: bigint;
  /** Requests an entity may have relayed per window (0: none). */
  requests: number;
};

/** What one entity has spent in its current window and what is left (open reservations counted at their gas). */
export type RelayBudgetStanding = {
  entity: string;
  windowSeconds: number;
  limit: { gas: bigint; requests: number };
  used: { gas: bigint; requests: number };
  remaining: { gas: bigint; requests: number };
  /** ISO 8601: the start of the current window. */
  windowStart: string;
  /** ISO 8601: the end of the current window, when `remaining` is back to `limit`. */
  refillsAt: string;
  /** ISO 8601: the time the standing was read at (the database's clock unless `now` was given). */
  now: string;
};

/** A reservation, as {@link settleRelayBudget} and {@link releaseRelayBudget} take it. */
export type RelayBudgetReservation = {
  /** The reservation's row, decimal text. */
  id: string;
  entity: string;
  windowSeconds: number;
  windowStart: string;
  gas: bigint;
  /** ISO 8601: after this the reservation stays counted at its gas and can no longer be settled or released. */
  expiresAt: string;
};

/** The checked policy, as statement parameters. */
export function policyValues(policy: RelayBudgetPolicy): { windowSeconds: number; gas: string; requests: number } {
  const { windowSeconds, gas, requests } = policy;
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > MAX_RELAY_BUDGET_WINDOW_SECONDS) {
    throw new StoreError('Invalid windowSeconds.', {
      details: `expected an integer 1–${MAX_RELAY_BUDGET_WINDOW_SECONDS}, got ${String(windowSeconds)}`,
    });
  }
  return { windowSeconds, gas: gasText(gas, 'gas limit'), requests: requestCount(requests, 'request limit') };
}

/** A gas amount as numeric text: a bigint ≥ 0. */
export function gasText(gas: bigint, field = 'gas'): string {
  if (typeof gas !== 'bigint' || gas < 0n || gas >= 1n << 256n) {
    throw new StoreError(`Invalid ${field}.`, { details: `expected a bigint 0 to 2^256 - 1, got ${String(gas)}` });
  }
  return gas.toString();
}

function requestCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new StoreError(`Invalid ${field}.`, { details: `expected an integer ≥ 0, got ${String(value)}` });
  }
  return value;
}

/** The entity, checked (an address, compared ignoring case). */
export function entityText(entity: string): string {
  return addressText(entity, 'entity');
}

/** `now` as a statement parameter: null for the database's clock. */
export function nowValue(now: TimeInput | undefined): Date | null {
  return now === undefined ? null : toDate(now, 'now');
}

/** A standing from a window's row (or none: nothing spent). */
export function standingOf(
  entity: string,
  policy: { windowSeconds: number; gas: bigint; requests: number },
  row: { now: Date | string; start: Date | string; gas: string | null; requests: number | null },
): RelayBudgetStanding {
  const used = { gas: row.gas === null ? 0n : BigInt(row.gas), requests: row.requests ?? 0 };
  const start = toIso(row.start);
  return {
    entity,
    windowSeconds: policy.windowSeconds,
    limit: { gas: policy.gas, requests: policy.requests },
    used,
    remaining: {
      gas: used.gas >= policy.gas ? 0n : policy.gas - used.gas,
      requests: Math.max(0, policy.requests - used.requests),
    },
    windowStart: start,
    refillsAt: new Date(Date.parse(start) + policy.windowSeconds * 1000).toISOString(),
    now: toIso(row.now),
  };
}

/** SQL: `$now` (or the statement's time) and the start of its window of `$seconds`, as CTEs `clock` and `win`. */
export function windowSql(now: string, seconds: string): string {
  return `clock AS (SELECT coalesce(${now}::timestamptz, statement_timestamp()) AS now),
         win AS (SELECT now, to_timestamp((floor(extract(epoch FROM now) / ${seconds}::int) * ${seconds}::int)::float8) AS start
                 FROM clock)`;
}

/** A reservation's ID, checked: decimal digits. */
export function reservationId(id: string): string {
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,18}$/.test(id)) {
    throw new StoreError('Invalid reservation id.', { details: String(id) });
  }
  return id;
}
