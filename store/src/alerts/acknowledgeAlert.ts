import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { addressText, pgText, toDate, toIso, type Row, type TimeInput } from '../values';

/** Who acknowledged an alert first, and when. */
export type AlertAcknowledgement = { by: string; at: string };

// The alert must be known; of acknowledgements at once (any instance), the first to commit is kept: the others
// conflict on the key and insert nothing.
const INSERT = {
  name: 'store.alerts.acknowledge',
  text: `INSERT INTO alert_acknowledgements (by_entity, alert_id, acknowledged_by, acknowledged_at)
         SELECT $1::address, $2::text, $3::address, $4::timestamptz
         WHERE EXISTS (SELECT 1 FROM alerts WHERE by_entity = $1::address AND alert_id = $2::text)
         ON CONFLICT (by_entity, alert_id) DO NOTHING
         RETURNING acknowledged_by, acknowledged_at`,
};
const KEPT = {
  name: 'store.alerts.acknowledgement',
  text: `SELECT acknowledged_by, acknowledged_at FROM alert_acknowledgements WHERE by_entity = $1 AND alert_id = $2`,
};
const ALL = {
  name: 'store.alerts.acknowledgements',
  text: 'SELECT by_entity, alert_id, acknowledged_by, acknowledged_at FROM alert_acknowledgements',
};

/**
 * Records that `account` acknowledged the alert `alertId` of the security entity `by`; the first acknowledgement is
 * kept (a second one changes nothing, also one of another instance at the same time). Returns the one kept, or
 * undefined when there is no such alert. Refuses a bad `by` or `account` (no address) or an empty `alertId`, naming it.
 *
 * @example
 * await acknowledgeAlert(store, alert.by, alert.alertId, session.address, Date.now()) // { by: '0x…', at: '2026-…' }
 */
export async function acknowledgeAlert(
  db: Db,
  by: string,
  alertId: string,
  account: string,
  now: TimeInput,
): Promise<AlertAcknowledgement | undefined> {
  const entity = addressText(by, 'alert entity (by)');
  const acknowledgedBy = addressText(account, 'acknowledging account');
  if (typeof alertId !== 'string' || alertId === '') {
    throw new StoreError('Invalid alert ID.', {
      details: `expected a non-empty string, got ${JSON.stringify(alertId)}`,
    });
  }
  const id = pgText(alertId); // as recordAlert stored it
  const at = toDate(now, 'acknowledgement time');
  const inserted = await db.query<Row>(INSERT, [entity, id, acknowledgedBy, at]);
  // Read committed: this second statement sees the acknowledgement another transaction committed first (the insert
  // waited for it). In a repeatable-read transaction the insert itself fails instead (40001) and is retried.
  const rows = inserted.rows.length > 0 ? inserted.rows : (await db.query<Row>(KEPT, [entity, id])).rows;
  const row = rows[0];
  return row === undefined ? undefined : acknowledgementFromRow(row);
}

/**
 * Every alert's acknowledgement, by {@link alertKey}.
 *
 * @example
 * const acknowledgements = await alertAcknowledgements(store)
 * alerts.map((alert) => ({ ...alert, acknowledged: acknowledgements.get(alertKey(alert.by, alert.alertId)) ?? null }))
 */
export async function alertAcknowledgements(db: Db): Promise<Map<string, AlertAcknowledgement>> {
  const { rows } = await db.query<Row>(ALL);
  return new Map(
    rows.map((row) => [alertKey(row.by_entity as string, row.alert_id as string), acknowledgementFromRow(row)]),
  );
}

/**
 * An alert's key across security entities: its entity (lower case) and its ID.
 *
 * @example
 * alertKey('0xAbC…', 'scan:1') // '0xabc…:scan:1'
 */
export function alertKey(by: string, alertId: string): string {
  return `${by.toLowerCase()}:${alertId}`;
}

function acknowledgementFromRow(row: Row): AlertAcknowledgement {
  return { by: row.acknowledged_by as string, at: toIso(row.acknowledged_at as Date) };
}
