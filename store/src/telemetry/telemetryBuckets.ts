import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, toDate, toIso, type TimeInput } from '../values';

/** Buckets one {@link telemetryBuckets} query returns at most. */
export const MAX_TELEMETRY_BUCKETS = 10_000;

/** What {@link telemetryBuckets} takes. */
export type TelemetryBucketsQuery = {
  deviceId: string;
  /** Readings at or after (the first bucket is the one holding `from`). */
  from: TimeInput;
  /** Readings before. */
  to: TimeInput;
  /** Width of a bucket, seconds; buckets start at multiples of it since the Unix epoch. */
  bucketSeconds: number;
};

/** One metric in one bucket. */
export type TelemetryMetricStats = { avg: number; min: number; max: number; count: number };

/** One time bucket of a device's readings. */
export type TelemetryBucket = {
  /** The bucket's start, ISO 8601. */
  start: string;
  /** Readings in the bucket. */
  readings: number;
  /**
   * Per metric: the numeric top-level fields of the body (`cpuPercent`, `load1`, …), those of `network`
   * (`network.bytesInPerSec`, …) and each named sensor (`sensors.<name>`); a null or absent value is not counted.
   */
  metrics: Record<string, TelemetryMetricStats>;
};

const BUCKETS = {
  name: 'store.telemetry.buckets',
  text: `WITH r AS (
           SELECT date_bin(make_interval(secs => $4), ts, timestamptz '1970-01-01 00:00:00+00') AS bucket, body
           FROM telemetry_readings WHERE device_id = $1 AND ts >= $2 AND ts < $3
         ),
         v AS (
           SELECT r.bucket, e.key AS metric, e.value::float8 AS value
           FROM r CROSS JOIN LATERAL jsonb_each(r.body) e WHERE jsonb_typeof(e.value) = 'number'
           UNION ALL
           SELECT r.bucket, 'network.' || e.key, e.value::float8
           FROM r CROSS JOIN LATERAL jsonb_each(
             CASE WHEN jsonb_typeof(r.body -> 'network') = 'object' THEN r.body -> 'network' ELSE '{}' END) e
           WHERE jsonb_typeof(e.value) = 'number'
           UNION ALL
           SELECT r.bucket, 'sensors.' || (s ->> 'name'), (s -> 'value')::float8
           FROM r CROSS JOIN LATERAL jsonb_array_elements(
             CASE WHEN jsonb_typeof(r.body -> 'sensors') = 'array' THEN r.body -> 'sensors' ELSE '[]' END) s
           WHERE jsonb_typeof(s -> 'value') = 'number' AND jsonb_typeof(s -> 'name') = 'string'
         )
         SELECT bucket, NULL AS metric, count(*)::int AS count, NULL::float8 AS avg, NULL::float8 AS min,
                NULL::float8 AS max
         FROM r GROUP BY bucket
         UNION ALL
         SELECT bucket, metric, count(*)::int, avg(value), min(value), max(value) FROM v GROUP BY bucket, metric
         ORDER BY bucket, metric NULLS FIRST`,
};

/**
 * A device's readings from `from` to `to` in time buckets of `bucketSeconds` (`date_bin`), each with the average,
 * minimum and maximum of every numeric metric: what a chart over days draws. Only buckets holding readings are
 * returned, oldest first; readings older than the retention are gone ({@link dropExpiredTelemetry}).
 *
 * @example
 * const hourly = await telemetryBuckets(store, { deviceId, from: Date.now() - 86_400_000, to: Date.now(), bucketSeconds: 3600 })
 * hourly[0].metrics.cpuPercent // { avg: 12.5, min: 3, max: 40, count: 3600 }
 */
export async function telemetryBuckets(db: Db, query: TelemetryBucketsQuery): Promise<TelemetryBucket[]> {
  const deviceId = deviceIdKey(query.deviceId);
  const from = toDate(query.from, 'from');
  const to = toDate(query.to, 'to');
  const seconds = query.bucketSeconds;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new StoreError('Invalid bucketSeconds.', { details: `expected whole seconds ≥ 1, got ${String(seconds)}` });
  }
  if (!(from.getTime() < to.getTime())) {
    throw new StoreError('Invalid to.', { details: `${toIso(to)} is not after from (${toIso(from)})` });
  }
  const buckets = Math.ceil((to.getTime() - from.getTime()) / (seconds * 1000)) + 1;
  if (buckets > MAX_TELEMETRY_BUCKETS) {
    throw new StoreError('Invalid bucketSeconds.', {
      details: `${buckets} buckets from ${toIso(from)} to ${toIso(to)}; at most ${MAX_TELEMETRY_BUCKETS}`,
    });
  }
  const { rows } = await db.query<{
    bucket: Date;
    metric: string | null;
    count: number;
    avg: number | null;
    min: number | null;
    max: number | null;
  }>(BUCKETS, [deviceId, from, to, seconds]);
  const result: TelemetryBucket[] = [];
  for (const row of rows) {
    if (row.metric === null) {
      result.push({ start: toIso(row.bucket), readings: row.count, metrics: {} });
    } else {
      result[result.length - 1]!.metrics[row.metric] = {
        avg: row.avg!,
        min: row.min!,
        max: row.max!,
        count: row.count,
      };
    }
  }
  return result;
}
