import {
  relayBudgetStanding,
  releaseRelayBudget,
  reserveRelayBudget,
  settleRelayBudget,
  type Db,
  type RelayBudgetPolicy,
  type RelayBudgetStanding,
} from '../../../store/src';
import { ApiError } from '../errors';

/** Parameters of {@link createRelayBudget}. */
export type CreateRelayBudgetParameters = {
  /** The shared index: every API instance on it counts one budget per entity. */
  index: Db;
  /** The window, seconds: each entity's gas and requests refill at the end of the window they were spent in. */
  windowSeconds: number;
  /** Gas one entity may have relayed per window (0: none). */
  gas: bigint;
  /** Requests one entity may have relayed per window (0: none). */
  requests: number;
  /**
   * How long a reservation stays open, seconds (default 600): one its instance never settled (it crashed, or the
   * index was down then) stays counted at its reserved gas until its window ends.
   */
  reservationSeconds?: number;
  /** The clock, ms since the epoch (default: the database's, one clock for every instance). */
  now?: () => number;
  /** Told when a settle or release failed (the reservation then stays counted at its reserved gas). */
  onError?: (error: unknown, what: 'settle' | 'release') => void;
};

/** What is left of one entity's budget in the current window, and when it refills. */
export type BudgetStanding = {
  entity: string;
  windowSeconds: number;
  limit: { gas: string; requests: number };
  used: { gas: string; requests: number };
  remaining: { gas: string; requests: number };
  /** ISO 8601: the end of the current window, when `remaining` is back to `limit`. */
  refillsAt: string;
};

/** A reservation of one request's gas: settled with the gas the transaction used, or released when none was sent. */
export type BudgetReservation = {
  /** The transaction was mined (or at least sent): count what it used instead of what was reserved. Never rejects. */
  settle(gasUsed: bigint): Promise<void>;
  /** Nothing was broadcast: give the reservation back. Never rejects. */
  release(): Promise<void>;
};

/** Per-entity relayer budgets, in gas and requests per window, kept in the shared index. */
export type RelayBudget = {
  /**
   * Reserves `gas` and one request for `entity`, or throws 429 `relay-budget-exceeded` with what is left and when it
   * refills (a `Retry-After` header with the seconds until then). A StoreError when the index does not answer.
   */
  reserve(entity: string, gas: bigint): Promise<BudgetReservation>;
  /** The entity's standing now, the same from every instance. */
  standing(entity: string): Promise<BudgetStanding>;
};

/**
 * Relayer budgets per entity (the request's signer) in fixed windows, in the shared index (store `relayBudgets`), so
 * every API instance behind a load balancer counts one budget: a request is refused before broadcast when it would
 * take the entity's gas or request count in this window past its limit, whichever instance reserved before. The gas
 * reserved is the signed gas limit; once mined the entity is charged what the transaction used.
 *
 * @example
 * const budget = createRelayBudget({ index, windowSeconds: 3_600, gas: 2_000_000n, requests: 30 })
 * const reservation = await budget.reserve(from, BigInt(request.gas)) // 429 when spent
 * await reservation.settle(receipt.gasUsed)
 */
export function createRelayBudget(parameters: CreateRelayBudgetParameters): RelayBudget {
  const { index, onError = () => undefined } = parameters;
  const policy: RelayBudgetPolicy = {
    windowSeconds: parameters.windowSeconds,
    gas: parameters.gas,
    requests: parameters.requests,
  };
  const reservationSeconds = parameters.reservationSeconds ?? 600;
  const clock = () => (parameters.now === undefined ? {} : { now: parameters.now() });

  return {
    async reserve(entity, gas) {
      const result = await reserveRelayBudget(index, { entity, gas, policy, reservationSeconds, ...clock() });
      if (!result.reserved) {
        const standing = formatStanding(result.standing);
        const details = { ...standing, requested: { gas: gas.toString(), requests: 1 } };
        const waitMs = Date.parse(result.standing.refillsAt) - Date.parse(result.standing.now);
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        throw new ApiError(
          `The relayer's budget for ${entity} is spent for this window (${result.over}): ` +
            `${standing.remaining.gas} gas and ${standing.remaining.requests} requests left, refilled at ${standing.refillsAt}.`,
          { status: 429, code: 'relay-budget-exceeded', details, headers: { 'Retry-After': String(retryAfter) } },
        );
      }
      const { reservation } = result;
      let open = true;
      return {
        async settle(gasUsed) {
          if (!open) return;
          open = false;
          await settleRelayBudget(index, { reservation, gasUsed, ...clock() }).catch((error: unknown) =>
            onError(error, 'settle'),
          );
        },
        async release() {
          if (!open) return;
          open = false;
          await releaseRelayBudget(index, { reservation, ...clock() }).catch((error: unknown) =>
            onError(error, 'release'),
          );
        },
      };
    },
    async standing(entity) {
      return formatStanding(await relayBudgetStanding(index, { entity, policy, ...clock() }));
    },
  };
}

/** The store's standing as the API answers it (gas as decimal text). */
function formatStanding(standing: RelayBudgetStanding): BudgetStanding {
  const { entity, windowSeconds, limit, used, remaining, refillsAt } = standing;
  const text = (value: { gas: bigint; requests: number }) => ({ gas: value.gas.toString(), requests: value.requests });
  return { entity, windowSeconds, limit: text(limit), used: text(used), remaining: text(remaining), refillsAt };
}
