import { z } from 'zod';
import { timeSchema } from './common';

/** Buckets one `GET /twins/{id}/telemetry?bucket=` answer holds at most. */
export const MAX_TELEMETRY_HISTORY_BUCKETS = 2_000;

/** A time: ISO 8601 with an offset, or Unix epoch milliseconds. */
const instant = z
  .union([
    z
      .string()
      .regex(/^\d{1,15}$/, 'must be an ISO 8601 time or epoch milliseconds')
      .transform(Number),
    z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time (with an offset) or epoch milliseconds' })
      .transform((value) => Date.parse(value)),
  ])
  .meta({ description: 'ISO 8601 time or Unix epoch milliseconds' });

/**
 * The query of `GET /twins/{id}/telemetry`: `limit` alone lists the recent readings; `bucket` (seconds, with `from`
 * and `to`, default the last 24 h to now) asks for per-bucket statistics, at most
 * {@link MAX_TELEMETRY_HISTORY_BUCKETS} buckets.
 */
export const telemetryQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(10_000).default(120),
    from: instant.optional(),
    to: instant.optional(),
    bucket: z.coerce
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(31 * 86_400, 'must be at most 31 days (2,678,400 s)')
      .optional()
      .meta({ description: 'Bucket width, seconds: per-bucket avg/min/max of each metric instead of readings' }),
  })
  .superRefine((query, ctx) => {
    if (query.bucket === undefined) {
      for (const field of ['from', 'to'] as const)
        if (query[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'only with bucket (the width of a time bucket)' });
      return;
    }
    const to = query.to ?? Date.now();
    const from = query.from ?? to - 86_400_000;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    else if (Math.ceil((to - from) / (query.bucket * 1000)) > MAX_TELEMETRY_HISTORY_BUCKETS)
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message: `too small for the range: at most ${MAX_TELEMETRY_HISTORY_BUCKETS} buckets (at least ${Math.ceil(
          (to - from) / 1000 / MAX_TELEMETRY_HISTORY_BUCKETS,
        )} s for this range)`,
      });
  });

const metricStatsSchema = z
  .object({ avg: z.number(), min: z.number(), max: z.number(), count: z.number().int() })
  .meta({ id: 'TelemetryMetricStats' });

export const telemetryBucketSchema = z
  .object({
    start: timeSchema.describe('The bucket start (buckets start at multiples of the width since the Unix epoch)'),
    readings: z.number().int(),
    metrics: z
      .record(z.string(), metricStatsSchema)
      .describe('Per numeric metric (`cpuPercent`, `network.bytesInPerSec`, `sensors.<name>`, …)'),
  })
  .meta({ id: 'TelemetryBucket' });

export const telemetryHistorySchema = z
  .object({
    deviceId: z.string(),
    from: timeSchema,
    to: timeSchema,
    bucketSeconds: z.number().int(),
    buckets: z.array(telemetryBucketSchema).describe('Only buckets holding readings, oldest first'),
  })
  .meta({ id: 'TelemetryHistory' });

export const sequenceGapSchema = z
  .object({
    fromSeq: z.number().int(),
    toSeq: z.number().int(),
    missing: z.number().int(),
    detectedAt: timeSchema,
  })
  .meta({ id: 'SequenceGap' });

export const gapListSchema = z
  .object({
    deviceId: z.string(),
    gaps: z.array(sequenceGapSchema).describe('Open gaps, lowest first: numbers below the highest never received'),
    openGaps: z.number().int(),
    missing: z.number().int(),
    givenUp: z
      .object({ gaps: z.number().int(), missing: z.number().int() })
      .describe('Gaps given up (too old or beyond the cap): counted, no longer awaited'),
  })
  .meta({ id: 'SequenceGaps' });
