import type { Db } from '../pool/withTransaction';
import { toDate, type TimeInput } from '../values';

/** Parameters of {@link pruneEvents}. */
export type PruneEventsParameters = {
  /** Events recorded before this time go. */
  olderThan: TimeInput;
};

/*
 * The retained events stay a suffix of the numbering: everything up to the event before the oldest one recorded at
 * or after the cutoff goes (an old event numbered after a newer one, its transaction having committed later, stays
 * until that newer one is old too). The highest number deleted is kept in event_retention.pruned_through.
 */
const PRUNE = {
  name: 'store.events.prune',
  text: `WITH bound AS (
           SELECT coalesce((SELECT min(seq) - 1 FROM events WHERE created_at >= $1 AND seq IS NOT NULL),
                           (SELECT max(seq) FROM events)) AS through
         ),
         gone AS (
           DELETE FROM events WHERE seq <= (SELECT through FROM bound) RETURNING seq
         ),
         marked AS (
           UPDATE event_retention SET pruned_through = greatest(pruned_through, (SELECT max(seq) FROM gone))
           WHERE EXISTS (SELECT 1 FROM gone)
         )
         SELECT count(*)::int AS deleted FROM gone`,
};

/**
 * Deletes the events recorded before `olderThan` (retention: the outbox only bridges a feed's reconnect or a
 * restart), keeping the retained ones a suffix of the numbering. A feed whose cursor is below what went reports the
 * missed range (`skipped`). Returns how many events were deleted.
 *
 * @example
 * await pruneEvents(store, { olderThan: Date.now() - 24 * 3_600_000 })
 */
export async function pruneEvents(db: Db, parameters: PruneEventsParameters): Promise<number> {
  const { rows } = await db.query<{ deleted: number }>(PRUNE, [toDate(parameters.olderThan, 'olderThan')]);
  return rows[0]!.deleted;
}
