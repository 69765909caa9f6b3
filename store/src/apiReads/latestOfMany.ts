import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import type { LatestTelemetry } from '../telemetry/types';
import { deviceIdKey, toIso } from '../values';

/** A device's latest snapshot as a list shows it. */
export type LatestSnapshotSummary = { seq: number; collectedAt: string; anchored: boolean };

const SNAPSHOTS = {
  name: 'store.apiReads.latestSnapshotsOf',
  text: `SELECT d.id AS device_id, s.seq, s.collected_at, coalesce(b.status = 'confirmed', false) AS anchored
         FROM unnest($1::text[]) d(id)
         JOIN LATERAL (SELECT seq, collected_at FROM snapshots WHERE device_id = d.id ORDER BY seq DESC LIMIT 1) s
           ON true
         LEFT JOIN batch_members m ON m.device_id = d.id AND m.seq = s.seq
         LEFT JOIN batches b ON b.id = m.batch_id`,
};

/**
 * The latest snapshot of each device (by DeviceID; devices without one left out) and whether it is anchored, in one
 * statement: what a list of twins shows.
 *
 * @example
 * const latest = await latestSnapshotsOf(store, page.items.map((twin) => twin.deviceId))
 */
export async function latestSnapshotsOf(
  db: Db,
  deviceIds: readonly (string | bigint)[],
): Promise<Map<Hex, LatestSnapshotSummary>> {
  if (deviceIds.length === 0) return new Map();
  const { rows } = await db.query<{ device_id: Hex; seq: number; collected_at: Date; anchored: boolean }>(SNAPSHOTS, [
    [...new Set(deviceIds.map(deviceIdKey))],
  ]);
  return new Map(
    rows.map((row) => [row.device_id, { seq: row.seq, collectedAt: toIso(row.collected_at), anchored: row.anchored }]),
  );
}

const TELEMETRY = {
  name: 'store.apiReads.latestTelemetryOf',
  text: 'SELECT device_id, seq, ts, body, batch_cid FROM latest_telemetry WHERE device_id = ANY($1::text[])',
};

/**
 * The latest telemetry of each device (by DeviceID; devices without any left out), in one statement.
 *
 * @example
 * const telemetry = await latestTelemetryOf(store, readable.map((twin) => twin.deviceId))
 */
export async function latestTelemetryOf(
  db: Db,
  deviceIds: readonly (string | bigint)[],
): Promise<Map<Hex, LatestTelemetry>> {
  if (deviceIds.length === 0) return new Map();
  const { rows } = await db.query<{ device_id: Hex; seq: number; ts: Date; body: unknown; batch_cid: string | null }>(
    TELEMETRY,
    [[...new Set(deviceIds.map(deviceIdKey))]],
  );
  return new Map(
    rows.map((row) => [
      row.device_id,
      { deviceId: row.device_id, seq: row.seq, ts: toIso(row.ts), body: row.body, batchCid: row.batch_cid },
    ]),
  );
}
