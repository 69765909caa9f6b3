import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, type Row } from '../values';
import { alertFromRow, type IndexedAlert } from './recordAlert';

/**
 * A device's alerts, newest first.
 *
 * @example
 * const open = (await alertsOf(store, deviceId)).filter((alert) => alert.status === 'open')
 */
export async function alertsOf(db: Db, deviceId: string, limit = 50): Promise<IndexedAlert[]> {
  const { rows } = await db.query<Row>(
    { name: 'store.alerts.of', text: 'SELECT * FROM alerts WHERE device_id = $1 ORDER BY id DESC LIMIT $2' },
    [deviceIdKey(deviceId), pageSize(limit, 50, 1_000)],
  );
  return rows.map(alertFromRow);
}

/**
 * Alerts whose latest state is from `sinceMs` on (included), oldest change first: what a live feed follows.
 *
 * @example
 * for (const alert of await alertsUpdatedSince(store, cursor, 1_000)) emit(alert)
 */
export async function alertsUpdatedSince(db: Db, sinceMs: number, limit = 1_000): Promise<IndexedAlert[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.alerts.updatedSince',
      text: 'SELECT * FROM alerts WHERE updated_at >= $1 ORDER BY updated_at, id LIMIT $2',
    },
    [new Date(sinceMs), limit],
  );
  return rows.map(alertFromRow);
}
