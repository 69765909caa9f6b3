import { ApiError } from '../errors';

/** Parameters of {@link createRelayBudget}. */
export type CreateRelayBudgetParameters = {
  /** The window, ms: each entity's gas and requests refill at the end of the window they were spent in. */
  windowMs: number;
  /** Gas one entity may have relayed per window (0: none). */
  gas: bigint;
  /** Requests one entity may have relayed per window (0: none). */
  requests: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
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
  /** The transaction was mined (or at least sent): count what it used instead of what was reserved. */
  settle(gasUsed: bigint): void;
  /** Nothing was broadcast: give the reservation back. */
  release(): void;
};

/** Per-entity relayer budgets, in gas and requests per window. */
export type RelayBudget = {
  /**
   * Reserves `gas` and one request for `entity`, or throws 429 `relay-budget-exceeded` with what is left and when it
   * refills (a `Retry-After` header with the seconds until then).
   */
  reserve(entity: string, gas: bigint): BudgetReservation;
  /** The entity's standing now. */
  standing(entity: string): BudgetStanding;
};

/**
 * Relayer budgets per entity (the request's signer) in fixed windows: a request is refused before broadcast when it
 * would take the entity's gas or request count in this window past its limit. The gas reserved is the signed gas
 * limit; once mined the entity is charged what the transaction used. Entities of past windows are forgotten, so the
 * memory is bounded by the signers of one window (each of which passed the signature check and the dry run).
 *
 * @example
 * const budget = createRelayBudget({ windowMs: 3_600_000, gas: 2_000_000n, requests: 30 })
 * const reservation = budget.reserve(from, BigInt(request.gas)) // 429 when spent
 * reservation.settle(receipt.gasUsed)
 */
export function createRelayBudget(parameters: CreateRelayBudgetParameters): RelayBudget {
  const { windowMs, gas: gasLimit, requests: requestLimit } = parameters;
  const now = parameters.now ?? Date.now;
  const spent = new Map<string, { window: number; gas: bigint; requests: number }>();
  let currentWindow = Math.floor(now() / windowMs);

  const entry = (entity: string) => {
    const window = Math.floor(now() / windowMs);
    if (window !== currentWindow) {
      currentWindow = window;
      for (const [key, value] of spent) if (value.window !== window) spent.delete(key);
    }
    const key = entity.toLowerCase();
    let value = spent.get(key);
    if (value === undefined || value.window !== window) {
      value = { window, gas: 0n, requests: 0 };
      spent.set(key, value);
    }
    return value;
  };

  const standing = (entity: string): BudgetStanding => {
    const used = entry(entity);
    const left = (limit: bigint, value: bigint) => (value >= limit ? 0n : limit - value);
    return {
      entity,
      windowSeconds: windowMs / 1000,
      limit: { gas: gasLimit.toString(), requests: requestLimit },
      used: { gas: used.gas.toString(), requests: used.requests },
      remaining: {
        gas: left(gasLimit, used.gas).toString(),
        requests: Math.max(0, requestLimit - used.requests),
      },
      refillsAt: new Date((used.window + 1) * windowMs).toISOString(),
    };
  };

  return {
    reserve(entity, gas) {
      const used = entry(entity);
      const overGas = used.gas + gas > gasLimit;
      const overRequests = used.requests + 1 > requestLimit;
      if (overGas || overRequests) {
        const details = { ...standing(entity), requested: { gas: gas.toString(), requests: 1 } };
        const retryAfter = Math.max(1, Math.ceil(((used.window + 1) * windowMs - now()) / 1000));
        throw new ApiError(
          `The relayer's budget for ${entity} is spent for this window (${overGas ? 'gas' : 'requests'}): ` +
            `${details.remaining.gas} gas and ${details.remaining.requests} requests left, refilled at ${details.refillsAt}.`,
          { status: 429, code: 'relay-budget-exceeded', details, headers: { 'Retry-After': String(retryAfter) } },
        );
      }
      used.gas += gas;
      used.requests += 1;
      let open = true;
      return {
        settle(gasUsed) {
          if (!open) return;
          open = false;
          if (used.window === entry(entity).window) used.gas += gasUsed - gas;
        },
        release() {
          if (!open) return;
          open = false;
          if (used.window === entry(entity).window) {
            used.gas -= gas;
            used.requests -= 1;
          }
        },
      };
    },
    standing,
  };
}
