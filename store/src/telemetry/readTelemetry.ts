import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, toIso } from '../values';
import { DEFAULT_KEPT_READINGS, type LatestTelemetry, type TelemetryBatch, type TelemetryReading } from './types';

const LATEST = {
  name: 'store.telemetry.latest',
  text: 'SELECT device_id, seq, ts, body, batch_cid FROM latest_telemetry WHERE device_id = $1',
};
const RECENT = {
  name: 'store.telemetry.recent',
  text: 'SELECT seq, ts, body FROM telemetry_readings WHERE device_id = $1 ORDER BY seq DESC, ts DESC LIMIT $2',
};

/**
 * The latest telemetry reading of `deviceId`, or undefined.
 *
 * @example
 * const telemetry = await latestTelemetry(store, twin.deviceId)
 */
export async function latestTelemetry(db: Db, deviceId: string): Promise<LatestTelemetry | undefined> {
  const { rows } = await db.query<{
    device_id: string;
    seq: number;
    ts: Date;
    body: unknown;
    batch_cid: string | null;
  }>(LATEST, [deviceIdKey(deviceId)]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return { deviceId: row.device_id, seq: row.seq, ts: toIso(row.ts), body: row.body, batchCid: row.batch_cid };
}

/**
 * The recent readings of `deviceId` kept for charts, oldest first (at most `limit`, default 120).
 *
 * @example
 * const { length } = await recentTelemetry(store, deviceId, 60)
 */
export async function recentTelemetry(
  db: Db,
  deviceId: string,
  limit = DEFAULT_KEPT_READINGS,
): Promise<TelemetryReading[]> {
  const { rows } = await db.query<{ seq: number; ts: Date; body: unknown }>(RECENT, [
    deviceIdKey(deviceId),
    pageSize(limit, DEFAULT_KEPT_READINGS, 10_000),
  ]);
  return rows.reverse().map((row) => ({ seq: row.seq, ts: toIso(row.ts), body: row.body }));
}

/**
 * Stored telemetry batches, newest first.
 *
 * @example
 * const [newest] = await listTelemetryBatches(store, 1)
 */
export async function listTelemetryBatches(db: Db, limit = 100): Promise<TelemetryBatch[]> {
  const { rows } = await db.query<{ id: number; cid: string; message_count: number; first_at: Date; last_at: Date }>(
    'SELECT id, cid, message_count, first_at, last_at FROM telemetry_batches ORDER BY id DESC LIMIT $1',
    [pageSize(limit, 100, 10_000)],
  );
  return rows.map((row) => ({
    id: row.id,
    cid: row.cid,
    messageCount: row.message_count,
    firstAt: toIso(row.first_at),
    lastAt: toIso(row.last_at),
  }));
}
