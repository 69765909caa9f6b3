import type { Index } from './openIndex';
import { advanceSequenceLedger } from './sequenceLedger';

/** A telemetry batch stored on IPFS. */
export type TelemetryBatch = { id: number; cid: string; messageCount: number; firstAt: string; lastAt: string };

/** The latest telemetry reading of a device: its body as received, and the batch CID once stored. */
export type LatestTelemetry = { deviceId: string; seq: number; ts: string; body: unknown; batchCid: string | null };

/** A recent telemetry reading kept for charts. */
export type TelemetryReading = { seq: number; ts: string; body: unknown };

/** Readings kept per device by default in `telemetry_readings` (the charts' history). */
export const DEFAULT_KEPT_READINGS = 120;

/**
 * Records a stored telemetry batch and points each device's latest reading in it at its CID, keeps the newest
 * `keepReadings` readings of each device for charts (0 keeps none), and advances each device's `telemetry` row of
 * the replay ledger to its highest number in the batch, in one transaction.
 *
 * @example
 * recordTelemetryBatch(index, { cid, messages })
 */
export function recordTelemetryBatch(
  index: Index,
  batch: {
    cid: string;
    messages: { deviceId: string; seq: number; ts: string; body: unknown }[];
    now?: number;
    /** Readings kept per device (default {@link DEFAULT_KEPT_READINGS}). */
    keepReadings?: number;
  },
): number {
  const keep = batch.keepReadings ?? DEFAULT_KEPT_READINGS;
  return index.transaction(() => {
    const times = batch.messages.map((message) => Date.parse(message.ts));
    const { lastInsertRowid } = index
      .statement(
        `INSERT INTO telemetry_batches (cid, message_count, first_at, last_at, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (cid) DO NOTHING`,
      )
      .run(batch.cid, batch.messages.length, Math.min(...times), Math.max(...times), batch.now ?? Date.now());
    const latest = index.statement(
      `INSERT INTO latest_telemetry (device_id, seq, ts, body, batch_cid) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq, ts = excluded.ts, body = excluded.body,
         batch_cid = excluded.batch_cid WHERE excluded.seq >= latest_telemetry.seq`,
    );
    const reading = index.statement(
      'INSERT INTO telemetry_readings (device_id, seq, ts, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const newest = new Map<string, number>();
    for (const message of batch.messages) {
      const body = JSON.stringify(message.body);
      latest.run(message.deviceId, message.seq, Date.parse(message.ts), body, batch.cid);
      if (keep === 0) continue;
      reading.run(message.deviceId, message.seq, Date.parse(message.ts), body);
      newest.set(message.deviceId, Math.max(message.seq, newest.get(message.deviceId) ?? -1));
    }
    // Prune by rank, not by seq arithmetic: sequence numbers have gaps (other kinds share the counter).
    const prune = index.statement(
      `DELETE FROM telemetry_readings WHERE device_id = ? AND seq < (
         SELECT seq FROM telemetry_readings WHERE device_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    );
    for (const deviceId of newest.keys()) prune.run(deviceId, deviceId, keep - 1);
    const highest = new Map<string, number>();
    for (const message of batch.messages) {
      highest.set(message.deviceId, Math.max(message.seq, highest.get(message.deviceId) ?? -1));
    }
    advanceSequenceLedger(
      index,
      [...highest].map(([deviceId, seq]) => ({ deviceId, kind: 'telemetry', seq })),
    );
    return Number(lastInsertRowid);
  });
}

/** The latest telemetry reading of `deviceId`, or undefined. */
export function latestTelemetry(index: Index, deviceId: string): LatestTelemetry | undefined {
  const row = index
    .statement('SELECT device_id, seq, ts, body, batch_cid FROM latest_telemetry WHERE device_id = ?')
    .get(deviceId) as
    | { device_id: string; seq: number; ts: number; body: string; batch_cid: string | null }
    | undefined;
  if (row === undefined) return undefined;
  return {
    deviceId: row.device_id,
    seq: Number(row.seq),
    ts: new Date(Number(row.ts)).toISOString(),
    body: JSON.parse(row.body),
    batchCid: row.batch_cid,
  };
}

/**
 * The recent readings of `deviceId` kept for charts, oldest first (at most `limit`, default 120).
 *
 * @example
 * const { length } = recentTelemetry(index, deviceId, 60)
 */
export function recentTelemetry(index: Index, deviceId: string, limit = DEFAULT_KEPT_READINGS): TelemetryReading[] {
  const rows = index
    .statement('SELECT seq, ts, body FROM telemetry_readings WHERE device_id = ? ORDER BY seq DESC LIMIT ?')
    .all(deviceId, limit) as { seq: number; ts: number; body: string }[];
  return rows.reverse().map((row) => ({
    seq: Number(row.seq),
    ts: new Date(Number(row.ts)).toISOString(),
    body: JSON.parse(row.body),
  }));
}

/** Stored telemetry batches, newest first. */
export function listTelemetryBatches(index: Index, limit = 100): TelemetryBatch[] {
  return (
    index
      .statement('SELECT id, cid, message_count, first_at, last_at FROM telemetry_batches ORDER BY id DESC LIMIT ?')
      .all(limit) as {
      id: number;
      cid: string;
      message_count: number;
      first_at: number;
      last_at: number;
    }[]
  ).map((row) => ({
    id: Number(row.id),
    cid: row.cid,
    messageCount: Number(row.message_count),
    firstAt: new Date(Number(row.first_at)).toISOString(),
    lastAt: new Date(Number(row.last_at)).toISOString(),
  }));
}
