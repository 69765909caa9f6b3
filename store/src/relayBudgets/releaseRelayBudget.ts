import type { Db } from '../pool/withTransaction';
import type { TimeInput } from '../values';
import { nowValue, reservationId, type RelayBudgetReservation } from './types';

/** Parameters of {@link releaseRelayBudget}. */
export type ReleaseRelayBudgetParameters = {
  reservation: Pick<RelayBudgetReservation, 'id'>;
  /** Default: the database's clock. */
  now?: TimeInput;
};

const RELEASE = {
  name: 'store.relayBudgets.release',
  text: `WITH gone AS (
           DELETE FROM relay_budget_reservations
           WHERE id = $1::bigint AND expires_at > coalesce($2::timestamptz, statement_timestamp())
           RETURNING entity, window_seconds, window_start, gas
         ),
         counted AS (
           UPDATE relay_budget_windows w
           SET gas = greatest(w.gas - gone.gas, 0), requests = greatest(w.requests - 1, 0)
           FROM gone
           WHERE w.entity = gone.entity AND w.window_seconds = gone.window_seconds AND w.window_start = gone.window_start
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM gone)::int AS released`,
};

/**
 * Gives a reservation back (nothing was broadcast): its window no longer counts its gas and request. Once only:
 * false when it was settled or released already, or expired (then it stays counted at its reserved gas).
 *
 * @example
 * await releaseRelayBudget(store, { reservation })
 */
export async function releaseRelayBudget(db: Db, parameters: ReleaseRelayBudgetParameters): Promise<boolean> {
  const { rows } = await db.query<{ released: number }>(RELEASE, [
    reservationId(parameters.reservation.id),
    nowValue(parameters.now),
  ]);
  return rows[0]!.released === 1;
}
