import type { AlertMessage } from '../../../twin-core/src/messages/alert';
import type { Index } from './openIndex';
import { deviceIdKey, pageSize, toIso, type Row } from './values';

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

/**
 * Records an alert message: a new alert, or the newer state of a known one (an older message changes nothing).
 * Alerts are keyed by their entity and ID: two security entities watching one device keep their own alerts.
 * Returns what changed, so the caller notifies the owner of new alerts and of changes of status or action only.
 *
 * @example
 * if (recordAlert(index, message, Date.now()) === 'new') notifyOwner()
 */
export function recordAlert(index: Index, message: AlertMessage, now: number): AlertChange {
  const { body } = message;
  const at = Date.parse(message.ts);
  const known = index
    .statement('SELECT status, action, updated_at FROM alerts WHERE alert_id = ?')
    .get(body.alertId) as { status: string; action: string; updated_at: number } | undefined;
  if (known !== undefined && Number(known.updated_at) > at) return 'stale';
  index
    .statement(
      `INSERT INTO alerts (alert_id, device_id, behaviour, score, status, action, window_from, window_to, evidence_cid,
         tx, by_entity, first_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (by_entity, alert_id) DO UPDATE SET score = excluded.score, status = excluded.status, action = excluded.action,
         window_to = excluded.window_to, evidence_cid = excluded.evidence_cid, tx = coalesce(excluded.tx, alerts.tx),
         updated_at = excluded.updated_at`,
    )
    .run(
      body.alertId,
      deviceIdKey(message.deviceId),
      body.behaviour,
      body.score,
      body.status,
      body.action,
      Date.parse(body.window.from),
      Date.parse(body.window.to),
      body.evidenceCid,
      body.tx,
      message.by,
      Number.isFinite(at) ? at : now,
      Number.isFinite(at) ? at : now,
    );
  if (known === undefined) return 'new';
  if (known.status !== body.status) return 'status';
  if (known.action !== body.action) return 'action';
  return 'update';
}

/**
 * A device's alerts, newest first.
 *
 * @example
 * const open = alertsOf(index, deviceId).filter((alert) => alert.status === 'open')
 */
export function alertsOf(index: Index, deviceId: string, limit = 50): IndexedAlert[] {
  const rows = index
    .statement('SELECT * FROM alerts WHERE device_id = ? ORDER BY id DESC LIMIT ?')
    .all(deviceIdKey(deviceId), pageSize(limit, 50, 1_000)) as Row[];
  return rows.map(alertFromRow);
}

/**
 * Alerts whose latest state is from `sinceMs` on (included), oldest change first: what a live feed follows.
 *
 * @example
 * for (const alert of alertsUpdatedSince(index, cursor, 1_000)) emit(alert)
 */
export function alertsUpdatedSince(index: Index, sinceMs: number, limit = 1_000): IndexedAlert[] {
  const rows = index
    .statement('SELECT * FROM alerts WHERE updated_at >= ? ORDER BY updated_at, id LIMIT ?')
    .all(sinceMs, limit) as Row[];
  return rows.map(alertFromRow);
}

function alertFromRow(row: Row): IndexedAlert {
  return {
    alertId: row.alert_id as string,
    deviceId: row.device_id as string,
    behaviour: row.behaviour as string,
    score: Number(row.score),
    status: row.status as 'open' | 'closed',
    action: row.action as string,
    window: { from: toIso(row.window_from as number), to: toIso(row.window_to as number) },
    evidenceCid: row.evidence_cid as string,
    tx: row.tx as string | null,
    by: row.by_entity as string,
    firstAt: toIso(row.first_at as number),
    updatedAt: toIso(row.updated_at as number),
  };
}

/** Who acknowledged an alert first, and when. */
export type AlertAcknowledgement = { by: string; at: string };

/**
 * Records that `account` acknowledged the alert `alertId` of the security entity `by`; the first acknowledgement is
 * kept (a second one changes nothing). Returns the one kept, or undefined when there is no such alert.
 *
 * @example
 * acknowledgeAlert(index, alert.by, alert.alertId, session.address, Date.now()) // { by: '0x…', at: '2026-…' }
 */
export function acknowledgeAlert(
  index: Index,
  by: string,
  alertId: string,
  account: string,
  now: number,
): AlertAcknowledgement | undefined {
  return index.transaction(() => {
    const known = index.statement('SELECT 1 FROM alerts WHERE by_entity = ? AND alert_id = ?').get(by, alertId);
    if (known === undefined) return undefined;
    index
      .statement(
        `INSERT INTO alert_acknowledgements (by_entity, alert_id, acknowledged_by, acknowledged_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (by_entity, alert_id) DO NOTHING`,
      )
      .run(by, alertId, account, now);
    return alertAcknowledgements(index).get(alertKey(by, alertId));
  });
}

/** Every alert's acknowledgement, by {@link alertKey}. */
export function alertAcknowledgements(index: Index): Map<string, AlertAcknowledgement> {
  const rows = index.statement('SELECT * FROM alert_acknowledgements').all() as Row[];
  return new Map(
    rows.map((row) => [
      alertKey(row.by_entity as string, row.alert_id as string),
      { by: row.acknowledged_by as string, at: toIso(row.acknowledged_at as number) },
    ]),
  );
}

/** An alert's key across security entities: its entity (lower case) and its ID. */
export function alertKey(by: string, alertId: string): string {
  return `${by.toLowerCase()}:${alertId}`;
}
