import type { AlertMessage } from '../../../twin-core/src/messages/alert';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, pgText, toDate, toIso, type Row } from '../values';

/** A security alert as indexed: its latest state. */
export type IndexedAlert = {
  alertId: string;
  deviceId: string;
  behaviour: string;
  score: number;
  status: 'open' | 'closed';
  action: string;
  window: { from: string; to: string };
  evidenceCid: string;
  tx: string | null;
  by: string;
  firstAt: string;
  updatedAt: string;
};

/** What changed when an alert message was recorded. */
export type AlertChange = 'new' | 'status' | 'action' | 'update' | 'stale';

const INSERT = {
  name: 'store.alerts.insert',
  text: `INSERT INTO alerts (alert_id, device_id, behaviour, score, status, action, window_from, window_to, evidence_cid,
           tx, by_entity, first_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (by_entity, alert_id) DO NOTHING`,
};
const KNOWN = {
  name: 'store.alerts.known',
  text: 'SELECT status, action, updated_at FROM alerts WHERE by_entity = $1 AND alert_id = $2 FOR UPDATE',
};
const UPDATE = {
  name: 'store.alerts.update',
  text: `UPDATE alerts SET score = $3, status = $4, action = $5, window_to = $6, evidence_cid = $7,
           tx = coalesce($8, tx), updated_at = $9
         WHERE by_entity = $1 AND alert_id = $2`,
};

/**
 * Records an alert message: a new alert, or the newer state of a known one (an older message changes nothing).
 * Alerts are keyed by their entity and ID: two security entities watching one device keep their own alerts.
 * Returns what changed, so the caller notifies the owner of new alerts and of changes of status or action only: of
 * instances recording the same message at once, one gets `new` (the alert's row is locked while compared).
 *
 * @example
 * if ((await recordAlert(store, message, Date.now())) === 'new') notifyOwner()
 */
export async function recordAlert(db: Db, message: AlertMessage, now: number): Promise<AlertChange> {
  const { body } = message;
  const parsed = Date.parse(message.ts);
  const at = new Date(Number.isFinite(parsed) ? parsed : now);
  const deviceId = deviceIdKey(message.deviceId);
  const windowFrom = toDate(body.window.from, 'alert window start');
  const windowTo = toDate(body.window.to, 'alert window end');
  // The free text fields as PostgreSQL can store them (U+0000 as U+FFFD), the same in every statement (behaviour,
  // status and action are enums, tx is hex: the schema refuses U+0000 there).
  const alertId = pgText(body.alertId);
  const by = pgText(message.by);
  const evidenceCid = pgText(body.evidenceCid);
  return inTransaction(db, async (tx) => {
    const { rowCount } = await tx.query(INSERT, [
      alertId,
      deviceId,
      body.behaviour,
      body.score,
      body.status,
      body.action,
      windowFrom,
      windowTo,
      evidenceCid,
      body.tx,
      by,
      at,
    ]);
    if (rowCount === 1) return 'new';
    const { rows } = await tx.query<{ status: string; action: string; updated_at: Date }>(KNOWN, [by, alertId]);
    const known = rows[0]!;
    if (known.updated_at.getTime() > at.getTime()) return 'stale';
    await tx.query(UPDATE, [by, alertId, body.score, body.status, body.action, windowTo, evidenceCid, body.tx, at]);
    if (known.status !== body.status) return 'status';
    if (known.action !== body.action) return 'action';
    return 'update';
  });
}

/**
 * An alert as a row of `alerts` maps to it.
 *
 * @example
 * rows.map(alertFromRow)
 */
export function alertFromRow(row: Row): IndexedAlert {
  return {
    alertId: row.alert_id as string,
    deviceId: row.device_id as string,
    behaviour: row.behaviour as string,
    score: Number(row.score),
    status: row.status as 'open' | 'closed',
    action: row.action as string,
    window: { from: toIso(row.window_from as Date), to: toIso(row.window_to as Date) },
    evidenceCid: row.evidence_cid as string,
    tx: row.tx as string | null,
    by: row.by_entity as string,
    firstAt: toIso(row.first_at as Date),
    updatedAt: toIso(row.updated_at as Date),
  };
}
