import type { Queryable } from '../pool/types';
import { pageSize, toIso } from '../values';
import type { StoreEvent } from './types';

/** Parameters of {@link readEvents}. */
export type ReadEventsParameters = {
  /** The number of the last event already seen (0: none). */
  after: number;
  /** Events at most (default 500, at most 10,000). */
  limit?: number;
};

/** What {@link readEvents} returns. */
export type ReadEventsResult = {
  /** The committed events numbered above `after`, in order. */
  events: StoreEvent[];
  /** The highest number {@link pruneEvents} deleted: when above `after`, the reader missed the events between. */
  prunedThrough: number;
};

const READ = {
  name: 'store.events.read',
  text: `SELECT r.pruned_through, e.seq, e.kind, e.device_id, e.payload, e.created_at
         FROM event_retention r
         LEFT JOIN LATERAL (SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2) e ON true`,
};
const LATEST = {
  name: 'store.events.latest',
  text: 'SELECT coalesce(max(seq), 0) AS seq, (SELECT pruned_through FROM event_retention) AS pruned FROM events',
};

/**
 * The committed events after a cursor, in commit order. A number is drawn at commit, under a lock held until the
 * commit ends, so an event visible here has every lower-numbered event visible too: following `after` skips none.
 *
 * @example
 * const { events } = await readEvents(store, { after: cursor, limit: 100 })
 */
export async function readEvents(db: Queryable, parameters: ReadEventsParameters): Promise<ReadEventsResult> {
  const { rows } = await db.query<{
    pruned_through: number;
    seq: number | null;
    kind: string;
    device_id: string | null;
    payload: unknown;
    created_at: Date;
  }>(READ, [parameters.after, pageSize(parameters.limit, 500, 10_000)]);
  return {
    prunedThrough: rows[0]?.pruned_through ?? 0,
    events: rows
      .filter((row) => row.seq !== null)
      .map((row) => ({
        seq: row.seq!,
        kind: row.kind,
        deviceId: row.device_id,
        payload: row.payload,
        at: toIso(row.created_at),
      })),
  };
}

/**
 * The highest event number committed (0: none yet), and the highest one pruned: where a feed "from now" or "from the
 * start" begins.
 *
 * @example
 * const { seq } = await latestEventSeq(store)
 */
export async function latestEventSeq(db: Queryable): Promise<{ seq: number; prunedThrough: number }> {
  const { rows } = await db.query<{ seq: number; pruned: number }>(LATEST);
  return { seq: rows[0]!.seq, prunedThrough: rows[0]!.pruned };
}
