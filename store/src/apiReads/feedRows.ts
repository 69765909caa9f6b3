import type { Hex } from '../../../twin-core/src/encoding/hex';
import { alertFromRow, type IndexedAlert } from '../alerts/recordAlert';
import { batchFromRow, type IndexedBatch } from '../batches/types';
import type { Db } from '../pool/withTransaction';
import type { TelemetryReading } from '../telemetry/types';
import type { TwinStateChange } from '../twinHistory/types';
import type { TwinStateName } from '../twins/types';
import { deviceIdKey, pageSize, pgText, toIso, type Row } from '../values';

// The rows the API's live feed reads by the ids an outbox event carries (one statement each).

const ALERT = {
  name: 'store.apiReads.alert',
  text: 'SELECT * FROM alerts WHERE by_entity = $1::text AND alert_id = $2',
};

/**
 * The alert `alertId` of the security entity `by`, or undefined.
 *
 * @example
 * const alert = await getAlert(store, event.payload.by, event.payload.alertId)
 */
export async function getAlert(db: Db, by: string, alertId: string): Promise<IndexedAlert | undefined> {
  const { rows } = await db.query<Row>(ALERT, [pgText(by), pgText(alertId)]);
  return rows[0] === undefined ? undefined : alertFromRow(rows[0]);
}

const CHANGE = {
  name: 'store.apiReads.stateChange',
  text: `SELECT device_id, previous, new, changed_by, reason, block, tx, log_index FROM twin_state_changes
         WHERE block = $1 AND log_index = $2`,
};

/**
 * The twin state change the chain mirror applied from the event at `block`, `logIndex`, or undefined.
 *
 * @example
 * const change = await getStateChange(store, 120, 3)
 */
export async function getStateChange(db: Db, block: number, logIndex: number): Promise<TwinStateChange | undefined> {
  const { rows } = await db.query<Row>(CHANGE, [block, logIndex]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    deviceId: row.device_id as Hex,
    previous: row.previous as TwinStateName,
    new: row.new as TwinStateName,
    by: row.changed_by as string,
    reason: row.reason as string,
    block: row.block as number,
    tx: row.tx as Hex,
    logIndex: row.log_index as number,
  };
}

/** A mirrored registry event, as the live feed announces it. */
export type ChainEventSummary = {
  block: number;
  logIndex: number;
  tx: Hex;
  contract: string;
  name: string;
  subject: string;
};

const CHAIN_EVENT = {
  name: 'store.apiReads.chainEvent',
  text: 'SELECT block, log_index, tx, contract, name, subject FROM chain_events WHERE block = $1 AND log_index = $2',
};

/**
 * The registry event at `block`, `logIndex` in the mirror's event log (without its payload), or undefined.
 *
 * @example
 * const event = await getChainEventSummary(store, 120, 3)
 */
export async function getChainEventSummary(
  db: Db,
  block: number,
  logIndex: number,
): Promise<ChainEventSummary | undefined> {
  const { rows } = await db.query<Row>(CHAIN_EVENT, [block, logIndex]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    block: row.block as number,
    logIndex: row.log_index as number,
    tx: row.tx as Hex,
    contract: row.contract as string,
    name: row.name as string,
    subject: row.subject as string,
  };
}

/** An anchored batch with what the live feed says about it. */
export type AnchoredBatch = IndexedBatch & {
  /** The devices with a snapshot in the batch. */
  deviceIds: Hex[];
  /** When the batch's first snapshot arrived (ISO 8601), null for an empty batch. */
  firstReceivedAt: string | null;
};

const ANCHORED = {
  name: 'store.apiReads.anchoredBatch',
  text: `SELECT b.*, b.gas_used::text AS gas_used,
           (SELECT coalesce(array_agg(DISTINCT m.device_id::text), '{}') FROM batch_members m WHERE m.batch_id = b.id)
             AS device_ids,
           (SELECT min(s.received_at) FROM batch_members m JOIN snapshots s ON s.device_id = m.device_id AND s.seq = m.seq
             WHERE m.batch_id = b.id) AS first_received_at
         FROM batches b WHERE b.id = $1`,
};

/**
 * The batch `batchId` with its devices and when its first snapshot arrived, in one statement; undefined if none.
 *
 * @example
 * const batch = await getAnchoredBatch(store, event.payload.batchId)
 */
export async function getAnchoredBatch(db: Db, batchId: number): Promise<AnchoredBatch | undefined> {
  const { rows } = await db.query<Row>(ANCHORED, [batchId]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    ...batchFromRow(row),
    deviceIds: row.device_ids as Hex[],
    firstReceivedAt: row.first_received_at === null ? null : toIso(row.first_received_at as Date),
  };
}

const READINGS = {
  name: 'store.apiReads.readingsThrough',
  text: `SELECT seq, ts, body FROM telemetry_readings WHERE device_id = $1 AND seq > $2 AND seq <= $3
         ORDER BY seq DESC, ts DESC LIMIT $4`,
};

/**
 * A device's kept readings numbered above `afterSeq` up to `throughSeq`, oldest first (at most `limit`, default
 * 100, the newest kept when there are more): what one telemetry batch brought, for the live feed.
 *
 * @example
 * const readings = await telemetryReadingsThrough(store, deviceId, { afterSeq: 10, throughSeq: 14 })
 */
export async function telemetryReadingsThrough(
  db: Db,
  deviceId: string,
  range: { afterSeq: number; throughSeq: number; limit?: number },
): Promise<TelemetryReading[]> {
  const { rows } = await db.query<{ seq: number; ts: Date; body: unknown }>(READINGS, [
    deviceIdKey(deviceId),
    range.afterSeq,
    range.throughSeq,
    pageSize(range.limit, 100, 10_000),
  ]);
  return rows.reverse().map((row) => ({ seq: row.seq, ts: toIso(row.ts), body: row.body }));
}
