import { advanceSequenceLedgers } from '../ledger/advanceSequenceLedgers';
import { inTransaction, type Db } from '../pool/withTransaction';
import { StoreError } from '../errors';
import { deviceIdKey, pgJson, pgText, sequenceNumber, toDate } from '../values';
import { TELEMETRY_LEDGER_KIND, type TelemetryBatchInput } from './types';

/*
 * One statement for the whole batch: its row, each device's latest reading (the highest seq of the batch, replacing
 * an older one) and the readings of the days that have a partition. Rows are upserted in DeviceID order, so that two
 * writers lock them in the same order. The ledger and the gaps are advanced after it, in the same transaction
 * (advanceSequenceLedgers).
 */
const RECORD = {
  name: 'store.telemetry.recordBatch',
  text: `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::jsonb[]) AS t(device_id, seq, ts, body)
         ),
         batch AS (
           INSERT INTO telemetry_batches (cid, message_count, first_at, last_at, created_at)
           SELECT $5, count(*), min(ts), max(ts), $6 FROM input
           ON CONFLICT (cid) DO NOTHING
           RETURNING id
         ),
         latest AS (
           INSERT INTO latest_telemetry (device_id, seq, ts, body, batch_cid)
           SELECT DISTINCT ON (device_id) device_id, seq, ts, body, $5 FROM input ORDER BY device_id, seq DESC
           ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq, ts = excluded.ts, body = excluded.body,
             batch_cid = excluded.batch_cid
           WHERE excluded.seq >= latest_telemetry.seq
         ),
         readings AS (
           INSERT INTO telemetry_readings (device_id, seq, ts, body)
           SELECT i.device_id, i.seq, i.ts, i.body FROM input i
           WHERE $7 AND EXISTS (SELECT 1 FROM telemetry_partitions p WHERE p.day = (i.ts AT TIME ZONE 'UTC')::date)
           ORDER BY i.device_id, i.seq
           ON CONFLICT DO NOTHING
           RETURNING 1
         )
         SELECT coalesce((SELECT id FROM batch), (SELECT id FROM telemetry_batches WHERE cid = $5)) AS id,
                (SELECT count(*) FROM readings)::int AS kept`,
};

/* Keeps the newest `$2` readings (by seq) of each device of `$1`: by rank, sequence numbers have gaps. */
const PRUNE = {
  name: 'store.telemetry.pruneByRank',
  text: `DELETE FROM telemetry_readings r USING (
           SELECT d.device_id, (SELECT x.seq FROM telemetry_readings x WHERE x.device_id = d.device_id
                                ORDER BY x.seq DESC OFFSET $2 LIMIT 1) AS cut
           FROM unnest($1::text[]) AS d(device_id)
         ) c
         WHERE r.device_id = c.device_id AND r.seq <= c.cut`,
};

/**
 * Records a stored telemetry batch, in one statement and one transaction (the caller's when `db` is one): the batch
 * row, each device's latest reading pointed at the batch's CID, every reading kept for charts and the time-bucket
 * query (in its day's partition; a day without one, see {@link ensureTelemetryPartitions}, keeps none), and each
 * device's replay ledger (kind `telemetry`) advanced to its highest seq with every seq accounted for in the device's
 * sequence gaps (one counter over every kind): the ledger commits or rolls back with the readings. Redelivered
 * readings (same device, seq and time) are skipped. With `keepReadings`, only the newest that many readings of each
 * device are kept (0: none). Returns the batch's id (the first row's when the CID was recorded before).
 *
 * @example
 * const id = await recordTelemetryBatch(store, { cid, messages: batch.map(({ message }) => message) })
 */
export async function recordTelemetryBatch(db: Db, batch: TelemetryBatchInput): Promise<number> {
  if (batch.messages.length === 0) {
    throw new StoreError('Invalid telemetry batch.', { details: `batch ${batch.cid} has no messages` });
  }
  const keep = batch.keepReadings;
  if (keep !== undefined && (!Number.isSafeInteger(keep) || keep < 0)) {
    throw new StoreError('Invalid keepReadings.', { details: `expected an integer ≥ 0, got ${String(keep)}` });
  }
  const columns: [string[], number[], Date[], string[]] = [[], [], [], []];
  for (const message of batch.messages) {
    columns[0].push(deviceIdKey(message.deviceId));
    columns[1].push(sequenceNumber(message.seq, 'telemetry sequence number'));
    columns[2].push(toDate(message.ts, 'telemetry time'));
    const body = pgJson(message.body); // U+0000 (no jsonb can hold it) as U+FFFD, in values and member names
    if (body === undefined) {
      throw new StoreError('Invalid telemetry body.', { details: `device ${message.deviceId} seq ${message.seq}` });
    }
    columns[3].push(body);
  }
  const now = toDate(batch.now ?? Date.now(), 'batch time');
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: number; kept: number }>(RECORD, [
      ...columns,
      pgText(batch.cid),
      now,
      keep !== 0,
    ]);
    await advanceSequenceLedgers(tx, TELEMETRY_LEDGER_KIND, columns[0], columns[1]);
    if (keep !== undefined && keep > 0) {
      await tx.query(PRUNE, [[...new Set(columns[0])].sort(), keep]);
    }
    return rows[0]!.id;
  });
}
