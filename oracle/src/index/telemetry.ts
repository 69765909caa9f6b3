import type { Index } from './openIndex';

/** A telemetry batch stored on IPFS. */
export type TelemetryBatch = { id: number; cid: string; messageCount: number; firstAt: string; lastAt: string };

/** The latest telemetry reading of a device: its body as received, and the batch CID once stored. */
export type LatestTelemetry = { deviceId: string; seq: number; ts: string; body: unknown; batchCid: string | null };

/**
 * Records a stored telemetry batch and points each device's latest reading in it at its CID, in one transaction.
 *
 * @example
 * recordTelemetryBatch(index, { cid, messages })
 */
export function recordTelemetryBatch(
  index: Index,
  batch: { cid: string; messages: { deviceId: string; seq: number; ts: string; body: unknown }[]; now?: number },
): number {
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
    for (const message of batch.messages) {
      latest.run(message.deviceId, message.seq, Date.parse(message.ts), JSON.stringify(message.body), batch.cid);
    }
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
