import type { Index } from './openIndex';
import { deviceIdKey, toIso, toMillis, type Row, type TimeInput } from './values';

/** A message the oracle refused. */
export type IndexedRejection = {
  id: number;
  at: string;
  /** The device, when the message let the oracle tell it. */
  deviceId: string | null;
  reason: string;
  detail: string;
};

/**
 * Rejection rows kept by default: the newest 100,000 (about 25 MB); older ones are deleted as new ones arrive, the
 * counts per reason are kept apart and never pruned.
 */
export const DEFAULT_REJECTIONS_KEPT = 100_000;
/** A detail is cut to this many characters: a stranger's message cannot make a row any larger. */
export const MAX_REJECTION_DETAIL = 500;

/**
 * Records a refused message: one row (its detail cut to {@link MAX_REJECTION_DETAIL} characters), one more in its
 * reason's count, and the oldest rows beyond `kept` deleted, so what a stranger sending garbage makes the index
 * store is bounded while the counts keep every refusal.
 *
 * @example
 * recordRejection(index, { reason: 'replay', detail: 'seq 4 ≤ 9', deviceId }, { kept: 10_000 })
 */
export function recordRejection(
  index: Index,
  rejection: { reason: string; detail: string; deviceId?: string | bigint | undefined; at?: TimeInput },
  options: { kept?: number } = {},
): number {
  const kept = options.kept ?? DEFAULT_REJECTIONS_KEPT;
  return index.transaction(() => {
    const { lastInsertRowid } = index
      .statement('INSERT INTO rejections (at, device_id, reason, detail) VALUES (?, ?, ?, ?)')
      .run(
        toMillis(rejection.at ?? Date.now(), 'rejection time'),
        rejection.deviceId === undefined ? null : deviceIdKey(rejection.deviceId),
        rejection.reason,
        rejection.detail.length > MAX_REJECTION_DETAIL
          ? `${rejection.detail.slice(0, MAX_REJECTION_DETAIL - 1)}…`
          : rejection.detail,
      );
    index
      .statement(
        `INSERT INTO rejection_counts (reason, count) VALUES (?, 1)
         ON CONFLICT (reason) DO UPDATE SET count = count + 1`,
      )
      .run(rejection.reason);
    const id = Number(lastInsertRowid);
    // Ids only grow (AUTOINCREMENT): everything at or below id - kept is older than the newest `kept` rows.
    if (id > kept) index.statement('DELETE FROM rejections WHERE id <= ?').run(id - kept);
    return id;
  });
}

/**
 * How many rejections of each reason: every one ever recorded (the kept counts, pruning loses none), or, with
 * `since`, those among the rows still kept.
 *
 * @example
 * countRejectionsByReason(index) // { replay: 3, 'bad-signature': 1 }
 */
export function countRejectionsByReason(index: Index, query: { since?: TimeInput } = {}): Record<string, number> {
  const rows = (
    query.since === undefined
      ? index.statement('SELECT reason, count FROM rejection_counts ORDER BY reason').all()
      : index
          .statement('SELECT reason, count(*) AS count FROM rejections WHERE at >= ? GROUP BY reason ORDER BY reason')
          .all(toMillis(query.since, 'since'))
  ) as { reason: string; count: number }[];
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

/**
 * The kept rejections, newest first, filtered by reason, device and time, paged by id (`beforeId`).
 *
 * @example
 * pageRejections(index, { reason: 'wrong-signer', deviceId, limit: 50 })
 */
export function pageRejections(index: Index, query: PageRejectionsQuery = {}): IndexedRejection[] {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 1_000);
  const rows = index
    .statement(
      `SELECT * FROM rejections
       WHERE (?1 IS NULL OR reason = ?1) AND (?2 IS NULL OR device_id = ?2) AND (?3 IS NULL OR at >= ?3)
         AND (?4 IS NULL OR at <= ?4) AND (?5 IS NULL OR id < ?5)
       ORDER BY id DESC LIMIT ?6`,
    )
    .all(
      query.reason ?? null,
      query.deviceId === undefined ? null : deviceIdKey(query.deviceId),
      query.from === undefined ? null : toMillis(query.from, 'from'),
      query.to === undefined ? null : toMillis(query.to, 'to'),
      query.beforeId ?? null,
      limit,
    ) as Row[];
  return rows.map((row) => ({
    id: row.id as number,
    at: toIso(row.at as number),
    deviceId: row.device_id as string | null,
    reason: row.reason as string,
    detail: row.detail as string,
  }));
}

/**
 * The latest rejections, newest first, optionally of one reason or device (default limit 100, at most 1,000).
 *
 * @example
 * listRejections(index, { reason: 'stale', limit: 10 })
 */
export function listRejections(
  index: Index,
  query: { reason?: string; deviceId?: string | bigint; limit?: number } = {},
): IndexedRejection[] {
  return pageRejections(index, query);
}

/**
 * How many rejection rows are kept now (the counts per reason cover more once rows were pruned).
 *
 * @example
 * keptRejections(index) // ≤ DEFAULT_REJECTIONS_KEPT
 */
export function keptRejections(index: Index): number {
  return Number((index.statement('SELECT count(*) AS n FROM rejections').get() as { n: number }).n);
}
