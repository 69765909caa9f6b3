import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, pgText, toIso, type Row } from '../values';
import type { IndexedNotification } from './insertNotification';

/** Filters of {@link notificationsFor}. */
export type NotificationsQuery = {
  deviceId?: string | bigint;
  /** Only notifications with a larger id: page on with the last id seen. */
  afterId?: number;
  /** Only notifications with a smaller id: page back with the smallest id seen. */
  beforeId?: number;
  /** Newest first (default oldest first). */
  newestFirst?: boolean;
  /** Default 100, at most 1,000. */
  limit?: number;
};

const select = (order: 'ASC' | 'DESC') => ({
  name: `store.notifications.for.${order.toLowerCase()}`,
  text: `SELECT * FROM notifications WHERE owner = $1::text AND id > $2 AND id < $5 AND ($3::text IS NULL OR device_id = $3)
         ORDER BY id ${order} LIMIT $4`,
});
const OLDEST_FIRST = select('ASC');
const NEWEST_FIRST = select('DESC');

/**
 * An owner's notifications, oldest first unless `newestFirst` (the owner's address in any case; text that is no
 * address finds nothing).
 *
 * @example
 * const unseen = await notificationsFor(store, owner, { afterId: lastSeen })
 */
export async function notificationsFor(
  db: Db,
  owner: string,
  query: NotificationsQuery = {},
): Promise<IndexedNotification[]> {
  const { rows } = await db.query<Row>(query.newestFirst === true ? NEWEST_FIRST : OLDEST_FIRST, [
    pgText(owner),
    query.afterId ?? 0,
    query.deviceId === undefined ? null : deviceIdKey(query.deviceId),
    pageSize(query.limit, 100, 1_000),
    query.beforeId ?? Number.MAX_SAFE_INTEGER,
  ]);
  return rows.map((row) => ({
    id: row.id as number,
    owner: row.owner as string,
    deviceId: row.device_id as Hex,
    kind: row.kind as string,
    payload: row.payload,
    createdAt: toIso(row.created_at as Date),
    block: row.block as number | null,
    tx: row.tx as Hex | null,
    logIndex: row.log_index as number | null,
  }));
}
