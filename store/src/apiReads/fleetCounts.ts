import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { toDate, toIso, type TimeInput } from '../values';

/** The fleet's counts, as `GET /fleet` shows them. Times are ISO 8601, null when there is none. */
export type FleetCounts = {
  twins: number;
  /** Twins per state (only the states some twin is in). */
  byState: Record<string, number>;
  forSale: number;
  reviewRequested: number;
  openAlerts: number;
  /** Twins with at least one open alert. */
  alertedTwins: number;
  /** Snapshots not in a confirmed batch, and when the oldest of them arrived. */
  pendingSnapshots: number;
  oldestPendingAt: string | null;
  lastConfirmedAt: string | null;
  confirmedBatches: number;
  /** Snapshots received and readings taken since `since`. */
  recentSnapshots: number;
  recentReadings: number;
  lastSnapshotAt: string | null;
};

const PENDING = `FROM snapshots s LEFT JOIN batch_members m ON m.device_id = s.device_id AND m.seq = s.seq
                 LEFT JOIN batches b ON b.id = m.batch_id WHERE m.batch_id IS NULL OR b.status <> 'confirmed'`;

const COUNTS = {
  name: 'store.apiReads.fleetCounts',
  text: `SELECT
           (SELECT count(*) FROM twins) AS twins,
           (SELECT coalesce(jsonb_object_agg(state, n), '{}'::jsonb)
              FROM (SELECT state, count(*) AS n FROM twins GROUP BY state) s) AS by_state,
           (SELECT count(*) FROM twins WHERE for_sale) AS for_sale,
           (SELECT count(*) FROM twins WHERE review_requested) AS review_requested,
           (SELECT count(*) FROM alerts WHERE status = 'open') AS open_alerts,
           (SELECT count(DISTINCT device_id) FROM alerts WHERE status = 'open') AS alerted_twins,
           pending.n AS pending_snapshots, pending.oldest AS oldest_pending_at,
           (SELECT max(confirmed_at) FROM batches WHERE status = 'confirmed') AS last_confirmed_at,
           (SELECT count(*) FROM batches WHERE status = 'confirmed') AS confirmed_batches,
           (SELECT count(*) FROM snapshots WHERE received_at >= $1) AS recent_snapshots,
           (SELECT count(*) FROM telemetry_readings WHERE ts >= $1) AS recent_readings,
           (SELECT max(received_at) FROM snapshots) AS last_snapshot_at
         FROM (SELECT count(*) AS n, min(s.received_at) AS oldest ${PENDING}) pending`,
};

const iso = (value: unknown) => (value === null || value === undefined ? null : toIso(value as Date));

/**
 * The fleet's counts in one statement (one snapshot of the database): twins by state, listings, review requests,
 * open alerts, anchoring lag, and what arrived since `since`.
 *
 * @example
 * const counts = await fleetCounts(store, Date.now() - 60_000)
 */
export async function fleetCounts(db: Db, since: TimeInput): Promise<FleetCounts> {
  const { rows } = await db.query<Record<string, unknown>>(COUNTS, [toDate(since, 'since')]);
  const row = rows[0]!;
  return {
    twins: Number(row.twins),
    byState: row.by_state as Record<string, number>,
    forSale: Number(row.for_sale),
    reviewRequested: Number(row.review_requested),
    openAlerts: Number(row.open_alerts),
    alertedTwins: Number(row.alerted_twins),
    pendingSnapshots: Number(row.pending_snapshots),
    oldestPendingAt: iso(row.oldest_pending_at),
    lastConfirmedAt: iso(row.last_confirmed_at),
    confirmedBatches: Number(row.confirmed_batches),
    recentSnapshots: Number(row.recent_snapshots),
    recentReadings: Number(row.recent_readings),
    lastSnapshotAt: iso(row.last_snapshot_at),
  };
}

const OPEN = {
  name: 'store.apiReads.openAlertsByDevice',
  text: `SELECT device_id, count(*) AS open FROM alerts WHERE status = 'open' GROUP BY device_id`,
};

/**
 * How many open alerts each device has (devices without any left out).
 *
 * @example
 * (await openAlertsByDevice(store)).get(deviceId) ?? 0
 */
export async function openAlertsByDevice(db: Db): Promise<Map<Hex, number>> {
  const { rows } = await db.query<{ device_id: Hex; open: number }>(OPEN);
  return new Map(rows.map((row) => [row.device_id, Number(row.open)]));
}

/** Totals of the index for the metrics and the health check. */
export type IndexTotals = {
  twins: number;
  snapshots: number;
  /** Telemetry messages recorded, summed over the telemetry batches. */
  telemetryMessages: number;
  /** Snapshots not in a confirmed batch. */
  pendingAnchor: number;
  /** The highest block a chain cursor has processed, or null before the mirror's first range. */
  mirroredBlock: number | null;
};

const TOTALS = {
  name: 'store.apiReads.indexTotals',
  text: `SELECT (SELECT count(*) FROM twins) AS twins,
                (SELECT count(*) FROM snapshots) AS snapshots,
                (SELECT coalesce(sum(message_count), 0) FROM telemetry_batches) AS telemetry_messages,
                (SELECT count(*) ${PENDING}) AS pending_anchor,
                (SELECT max(last_processed_block) FROM chain_cursor) AS mirrored_block`,
};

/**
 * The index's totals in one statement: twins, snapshots, telemetry messages, snapshots awaiting their anchor, and
 * how far the chain mirror has come.
 *
 * @example
 * const { pendingAnchor } = await indexTotals(store)
 */
export async function indexTotals(db: Db): Promise<IndexTotals> {
  const { rows } = await db.query<Record<string, unknown>>(TOTALS);
  const row = rows[0]!;
  return {
    twins: Number(row.twins),
    snapshots: Number(row.snapshots),
    telemetryMessages: Number(row.telemetry_messages),
    pendingAnchor: Number(row.pending_anchor),
    mirroredBlock: row.mirrored_block === null ? null : Number(row.mirrored_block),
  };
}
