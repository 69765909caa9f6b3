import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, sequenceNumber } from '../values';

const STORED = {
  name: 'store.telemetry.stored',
  text: `SELECT i.ord,
                EXISTS (SELECT 1 FROM telemetry_readings r WHERE r.device_id = i.device_id AND r.seq = i.seq)
                OR EXISTS (SELECT 1 FROM latest_telemetry l WHERE l.device_id = i.device_id AND l.seq = i.seq) AS stored
         FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS i(device_id, seq, ord) ORDER BY i.ord`,
};

/**
 * Whether each (device, seq) is a telemetry reading the store holds (in the history, or as the device's latest
 * reading), in the order given: a telemetry message received again (by any instance) is one of these, as long as its
 * day's readings are kept (`STORE_TELEMETRY_RETENTION_DAYS`, far beyond the oracle's clock-skew window).
 *
 * @example
 * const stored = await storedReadings(tx, readings.map((r) => r.deviceId), readings.map((r) => r.seq))
 */
export async function storedReadings(
  db: Db,
  deviceIds: readonly string[],
  seqs: readonly number[],
): Promise<boolean[]> {
  if (deviceIds.length !== seqs.length) {
    throw new StoreError('Invalid telemetry lookup.', {
      details: `${deviceIds.length} DeviceIDs for ${seqs.length} sequence numbers`,
    });
  }
  if (deviceIds.length === 0) return [];
  const { rows } = await db.query<{ stored: boolean }>(STORED, [
    deviceIds.map((deviceId) => deviceIdKey(deviceId)),
    seqs.map((seq) => sequenceNumber(seq, 'telemetry sequence number')),
  ]);
  return rows.map((row) => row.stored);
}
