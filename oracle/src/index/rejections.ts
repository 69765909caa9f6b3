import type { Index } from './openIndex';
import { deviceIdKey, pageSize, toIso, toMillis, type Row, type TimeInput } from './values';

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
 * Records a refused message.
 *
 * @example
 * recordRejection(index, { reason: 'replay', detail: 'seq 4 ≤ 9', deviceId })
 */
export function recordRejection(
  index: Index,
  rejection: { reason: string; detail: string; deviceId?: string | bigint | undefined; at?: TimeInput },
): number {
  const { lastInsertRowid } = index
    .statement('INSERT INTO rejections (at, device_id, reason, detail) VALUES (?, ?, ?, ?)')
    .run(
      toMillis(rejection.at ?? Date.now(), 'rejection time'),
      rejection.deviceId === undefined ? null : deviceIdKey(rejection.deviceId),
      rejection.reason,
      rejection.detail,
    );
  return Number(lastInsertRowid);
}

/**
 * How many rejections of each reason, optionally since a time.
 *
 * @example
 * countRejectionsByReason(index) // { replay: 3, 'bad-signature': 1 }
 */
export function countRejectionsByReason(index: Index, query: { since?: TimeInput } = {}): Record<string, number> {
  const rows = index
    .statement('SELECT reason, count(*) AS count FROM rejections WHERE at >= ? GROUP BY reason ORDER BY reason')
    .all(query.since === undefined ? Number.MIN_SAFE_INTEGER : toMillis(query.since, 'since')) as {
    reason: string;
    count: number;
  }[];
  return Object.fromEntries(rows.map(({ reason, count }) => [reason, count]));
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
  const rows = index
    .statement(
      `SELECT * FROM rejections WHERE (?1 IS NULL OR reason = ?1) AND (?2 IS NULL OR device_id = ?2)
       ORDER BY id DESC LIMIT ?3`,
    )
    .all(
      query.reason ?? null,
      query.deviceId === undefined ? null : deviceIdKey(query.deviceId),
      pageSize(query.limit, 100, 1_000),
    ) as Row[];
  return rows.map((row) => ({
    id: row.id as number,
    at: toIso(row.at as number),
    deviceId: row.device_id as string | null,
    reason: row.reason as string,
    detail: row.detail as string,
  }));
}
