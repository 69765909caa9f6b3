import type { Db } from '../pool/withTransaction';
import type { TimeInput } from '../values';
import { gasText, nowValue, reservationId, type RelayBudgetReservation } from './types';

/** Parameters of {@link settleRelayBudget}. */
export type SettleRelayBudgetParameters = {
  reservation: Pick<RelayBudgetReservation, 'id'>;
  /** What the transaction used (its receipt's `gasUsed`): counted in place of the reserved gas. */
  gasUsed: bigint;
  /** Default: the database's clock. */
  now?: TimeInput;
};

const SETTLE = {
  name: 'store.relayBudgets.settle',
  text: `WITH gone AS (
           DELETE FROM relay_budget_reservations
           WHERE id = $1::bigint AND expires_at > coalesce($3::timestamptz, statement_timestamp())
           RETURNING entity, window_seconds, window_start, gas
         ),
         counted AS (
           UPDATE relay_budget_windows w SET gas = greatest(w.gas - gone.gas + $2::numeric, 0)
           FROM gone
           WHERE w.entity = gone.entity AND w.window_seconds = gone.window_seconds AND w.window_start = gone.window_start
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM gone)::int AS settled`,
};

/**
 * Settles a reservation: its window counts `gasUsed` in place of the gas reserved (the request stays counted).
 * Once only: false when it was settled or released already, or expired (then it stays counted at its reserved gas).
 *
 * @example
 * await settleRelayBudget(store, { reservation, gasUsed: receipt.gasUsed })
 */
export async function settleRelayBudget(db: Db, parameters: SettleRelayBudgetParameters): Promise<boolean> {
  const { rows } = await db.query<{ settled: number }>(SETTLE, [
    reservationId(parameters.reservation.id),
    gasText(parameters.gasUsed, 'gasUsed'),
    nowValue(parameters.now),
  ]);
  return rows[0]!.settled === 1;
}
