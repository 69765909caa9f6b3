import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { addressText, deviceIdKey, pageSize, pgJson, pgText, toDate, type TimeInput } from '../values';
import { chunks } from './chunks';
import {
  MAX_SECURITY_PAGE,
  MAX_SECURITY_ROWS_PER_STATEMENT,
  type SecurityHandledRecord,
  type SecurityPageQuery,
  type SecurityWatchedRecord,
} from './types';

const SAVE_HANDLED = {
  name: 'store.security.saveHandled',
  text: `INSERT INTO security_handled (entity, alert_id, device_id, record, updated_at)
         SELECT $1, alert_id, device_id, record, $5
         FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS t (alert_id, device_id, record)
         ON CONFLICT (entity, alert_id) DO UPDATE
           SET device_id = excluded.device_id, record = excluded.record, updated_at = excluded.updated_at`,
};
const DELETE_HANDLED = {
  name: 'store.security.deleteHandled',
  text: 'DELETE FROM security_handled WHERE entity = $1 AND alert_id = ANY ($2::text[])',
};
const LIST_HANDLED = {
  name: 'store.security.listHandled',
  text: `SELECT alert_id, device_id, record FROM security_handled
         WHERE entity = $1 AND alert_id > $2 ORDER BY alert_id LIMIT $3`,
};
const SAVE_WATCHED = {
  name: 'store.security.saveWatched',
  text: `INSERT INTO security_watched (entity, device_id, record, updated_at)
         SELECT $1, device_id, record, $4 FROM unnest($2::text[], $3::jsonb[]) AS t (device_id, record)
         ON CONFLICT (entity, device_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at`,
};
const DELETE_WATCHED = {
  name: 'store.security.deleteWatched',
  text: 'DELETE FROM security_watched WHERE entity = $1 AND device_id = ANY ($2::text[])',
};
const LIST_WATCHED = {
  name: 'store.security.listWatched',
  text: `SELECT device_id, record FROM security_watched
         WHERE entity = $1 AND device_id > $2 ORDER BY device_id LIMIT $3`,
};

/** A record as `jsonb` takes it; refuses what JSON cannot carry (undefined, a function). */
function jsonOf(record: unknown, key: string, nullable: boolean): string | null {
  if (record === null && nullable) return null;
  const text = record === undefined ? undefined : pgJson(record);
  if (text === undefined || text === 'null')
    throw new StoreError('Invalid security record.', { details: `${key}: no JSON value` });
  return text;
}

/** Rows in slices of at most {@link MAX_SECURITY_ROWS_PER_STATEMENT}, refusing a key given twice. */
function unique<T>(rows: readonly T[], keyOf: (row: T) => string, what: string): T[][] {
  const seen = new Set<string>();
  for (const row of rows) {
    const key = keyOf(row);
    if (seen.has(key)) throw new StoreError(`A ${what} given twice.`, { details: key });
    seen.add(key);
  }
  return chunks(rows, MAX_SECURITY_ROWS_PER_STATEMENT);
}

/**
 * Saves what one security entity did about its open alerts (inserted or replaced, by alert ID), at most
 * {@link MAX_SECURITY_ROWS_PER_STATEMENT} rows per statement. Returns the rows written.
 *
 * @example
 * await saveSecurityHandled(store, wallet.address, [{ alertId, deviceId, record: { alert, evidenceCid, action, tx } }])
 */
export async function saveSecurityHandled(
  db: Db,
  entity: string,
  items: readonly SecurityHandledRecord[],
  now: TimeInput = Date.now(),
): Promise<number> {
  const account = addressText(entity, 'security entity');
  const at = toDate(now, 'update time');
  const rows = items.map((item) => {
    if (typeof item.alertId !== 'string' || item.alertId === '' || item.alertId.length > 1_000) {
      throw new StoreError('Invalid alert ID.', {
        details: `expected 1 to 1,000 characters, got ${String(item.alertId)}`,
      });
    }
    return [pgText(item.alertId), deviceIdKey(item.deviceId), jsonOf(item.record, item.alertId, false)] as const;
  });
  let written = 0;
  for (const chunk of unique(rows, ([alertId]) => alertId, 'handled alert')) {
    const columns = [0, 1, 2].map((n) => chunk.map((row) => row[n]));
    written += (await db.query(SAVE_HANDLED, [account, ...columns, at])).rowCount ?? 0;
  }
  return written;
}

/**
 * Deletes handled alerts of one entity (closed ones); returns how many rows went.
 *
 * @example
 * await deleteSecurityHandled(store, wallet.address, [alert.id])
 */
export async function deleteSecurityHandled(db: Db, entity: string, alertIds: readonly string[]): Promise<number> {
  const account = addressText(entity, 'security entity');
  let deleted = 0;
  for (const chunk of chunks(alertIds.map(pgText), MAX_SECURITY_ROWS_PER_STATEMENT)) {
    deleted += (await db.query(DELETE_HANDLED, [account, chunk])).rowCount ?? 0;
  }
  return deleted;
}

/**
 * One page of an entity's handled alerts, in alert ID order after `after`.
 *
 * @example
 * const page = await listSecurityHandled(store, wallet.address, { limit: 1_000 })
 */
export async function listSecurityHandled(
  db: Db,
  entity: string,
  query: SecurityPageQuery = {},
): Promise<SecurityHandledRecord[]> {
  const account = addressText(entity, 'security entity');
  const limit = pageSize(query.limit, 1_000, MAX_SECURITY_PAGE);
  const { rows } = await db.query<{ alert_id: string; device_id: string; record: unknown }>(LIST_HANDLED, [
    account,
    query.after ?? '',
    limit,
  ]);
  return rows.map((row) => ({ alertId: row.alert_id, deviceId: row.device_id, record: row.record }));
}

/**
 * Saves the twins one entity watches (inserted or replaced, by DeviceID; `record` may be null), at most
 * {@link MAX_SECURITY_ROWS_PER_STATEMENT} rows per statement. Returns the rows written.
 *
 * @example
 * await saveSecurityWatched(store, wallet.address, [{ deviceId, record: handled ?? null }])
 */
export async function saveSecurityWatched(
  db: Db,
  entity: string,
  items: readonly SecurityWatchedRecord[],
  now: TimeInput = Date.now(),
): Promise<number> {
  const account = addressText(entity, 'security entity');
  const at = toDate(now, 'update time');
  const rows = items.map((item) => {
    const key = deviceIdKey(item.deviceId);
    return [key, jsonOf(item.record ?? null, key, true)] as const;
  });
  let written = 0;
  for (const chunk of unique(rows, ([key]) => key, 'watched twin')) {
    const columns = [0, 1].map((n) => chunk.map((row) => row[n]));
    written += (await db.query(SAVE_WATCHED, [account, ...columns, at])).rowCount ?? 0;
  }
  return written;
}

/**
 * Deletes watched twins of one entity (reactivated, or no longer suspended); returns how many rows went.
 *
 * @example
 * await deleteSecurityWatched(store, wallet.address, [deviceId])
 */
export async function deleteSecurityWatched(db: Db, entity: string, deviceIds: readonly string[]): Promise<number> {
  const account = addressText(entity, 'security entity');
  let deleted = 0;
  for (const chunk of chunks(
    deviceIds.map((deviceId) => deviceIdKey(deviceId)),
    MAX_SECURITY_ROWS_PER_STATEMENT,
  )) {
    deleted += (await db.query(DELETE_WATCHED, [account, chunk])).rowCount ?? 0;
  }
  return deleted;
}

/**
 * One page of the twins an entity watches, in DeviceID order after `after`.
 *
 * @example
 * const page = await listSecurityWatched(store, wallet.address)
 */
export async function listSecurityWatched(
  db: Db,
  entity: string,
  query: SecurityPageQuery = {},
): Promise<SecurityWatchedRecord[]> {
  const account = addressText(entity, 'security entity');
  const after = query.after === undefined ? '' : deviceIdKey(query.after);
  const limit = pageSize(query.limit, 1_000, MAX_SECURITY_PAGE);
  const { rows } = await db.query<{ device_id: string; record: unknown }>(LIST_WATCHED, [account, after, limit]);
  return rows.map((row) => ({ deviceId: row.device_id, record: row.record }));
}
