import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, toDate, toIso, type Row, type TimeInput } from '../values';
import type { IndexedRejection } from './recordRejection';

/**
 * How many rejections of each reason: every one ever recorded (the kept counts, pruning loses none), or, with
 * `since`, those among the rows still kept.
 *
 * @example
 * await countRejectionsByReason(store) // { replay: 3, 'bad-signature': 1 }
 */
export async function countRejectionsByReason(
  db: Db,
  query: { since?: TimeInput } = {},
): Promise<Record<string, number>> {
  const { rows } =
    query.since === undefined
      ? await db.query<{ reason: string; count: number }>('SELECT reason, count FROM rejection_counts ORDER BY reason')
      : await db.query<{ reason: string; count: number }>(
          'SELECT reason, count(*) AS count FROM rejections WHERE at >= $1 GROUP BY reason ORDER BY reason',
          [toDate(query.since, 'since')],
        );
  return Object.fromEntries(rows.map(({ reason, count }) => [reason, Number(count)]));
}

/** Parameters of {@link pageRejections}. */
export type PageRejectionsQuery = {
  reason?: string | undefined;
  deviceId?: string | bigint | undefined;
  /** Recorded at or after. */
  from?: TimeInput | undefined;
  /** Recorded at or before. */
  to?: TimeInput | undefined;
  /** Only rows with a smaller id (the next page: the last id seen). */
  beforeId?: number | undefined;
  /** At most this many rows (default 100, at most 1,000). */
  limit?: number | undefined;
};

const PAGE = {
  name: 'store.rejections.page',
  text: `SELECT * FROM rejections
         WHERE ($1::text IS NULL OR reason = $1) AND ($2::text IS NULL OR device_id = $2)
           AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at <= $4)
           AND ($5::bigint IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6`,
};

/**
 * The kept rejections, newest first, filtered by reason, device and time, paged by id (`beforeId`).
 *
 * @example
 * await pageRejections(store, { reason: 'wrong-signer', deviceId, limit: 50 })
 */
export async function pageRejections(db: Db, query: PageRejectionsQuery = {}): Promise<IndexedRejection[]> {
  const limit = pageSize(query.limit, 100, 1_000);
  const { rows } = await db.query<Row>(PAGE, [
    query.reason ?? null,
    query.deviceId === undefined ? null : deviceIdKey(query.deviceId),
    query.from === undefined ? null : toDate(query.from, 'from'),
    query.to === undefined ? null : toDate(query.to, 'to'),
    query.beforeId ?? null,
    limit,
  ]);
  return rows.map((row) => ({
    id: row.id as number,
    at: toIso(row.at as Date),
    deviceId: row.device_id as string | null,
    reason: row.reason as string,
    detail: row.detail as string,
  }));
}

/**
 * The latest rejections, newest first, optionally of one reason or device (default limit 100, at most 1,000).
 *
 * @example
 * await listRejections(store, { reason: 'stale', limit: 10 })
 */
export function listRejections(
  db: Db,
  query: { reason?: string; deviceId?: string | bigint; limit?: number } = {},
): Promise<IndexedRejection[]> {
  return pageRejections(db, query);
}

/**
 * How many rejection rows are kept now (the counts per reason cover more once rows were pruned).
 *
 * @example
 * await keptRejections(store) // ≤ DEFAULT_REJECTIONS_KEPT
 */
export async function keptRejections(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM rejections');
  return rows[0]!.n;
}
