import type { Db } from '../pool/withTransaction';
import type { TimeInput } from '../values';
import { nowValue } from './types';

/** Parameters of {@link pruneRelayBudgets}. */
export type PruneRelayBudgetsParameters = {
  /** Default: the database's clock. */
  now?: TimeInput;
};

/** What {@link pruneRelayBudgets} deleted. */
export type PrunedRelayBudgets = { windows: number; reservations: number };

const PRUNE = {
  name: 'store.relayBudgets.prune',
  text: `WITH clock AS (SELECT coalesce($1::timestamptz, statement_timestamp()) AS now),
         windows AS (
           DELETE FROM relay_budget_windows WHERE window_end <= (SELECT now FROM clock) RETURNING 1
         ),
         reservations AS (
           DELETE FROM relay_budget_reservations WHERE expires_at <= (SELECT now FROM clock) RETURNING 1
         )
         SELECT (SELECT count(*) FROM windows)::int AS windows, (SELECT count(*) FROM reservations)::int AS reservations`,
};

/**
 * The relayer budgets' upkeep (run with the store's other upkeep, `maintainSequenceGaps` and `pruneEvents`):
 * deletes the windows that ended (their entities start afresh anyway) and the reservations that expired (they
 * stay counted at their reserved gas in their window; a settle or release after expiry already did nothing).
 *
 * @example
 * const { windows, reservations } = await pruneRelayBudgets(store)
 */
export async function pruneRelayBudgets(
  db: Db,
  parameters: PruneRelayBudgetsParameters = {},
): Promise<PrunedRelayBudgets> {
  const { rows } = await db.query<PrunedRelayBudgets>(PRUNE, [nowValue(parameters.now)]);
  return rows[0]!;
}
