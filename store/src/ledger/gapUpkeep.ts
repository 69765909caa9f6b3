import { StoreError } from '../errors';
import type { Store } from '../pool/types';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, toDate, type TimeInput } from '../values';

/** Options of {@link maintainSequenceGaps}: the store config's keys. */
export type MaintainSequenceGapsOptions = {
  /** `maxOpenGapsPerDevice` of the store config (default 64). */
  maxOpenGapsPerDevice?: number;
  /** `gapExpiryHours` of the store config (default 24; 0: gaps never expire). */
  gapExpiryHours?: number;
  /** Default now. */
  now?: TimeInput;
};

/** Gaps given up (no longer open, counted): how many, and the numbers they missed. */
export type GivenUpGaps = { gaps: number; missing: number };

/**
 * The sequence gaps' upkeep, from the store config, run alongside {@link maintainTelemetryPartitions}: sets the cap
 * of open gaps a device keeps (the writers give up the lowest beyond it as they open gaps), gives up the gaps detected
 * more than `gapExpiryHours` before `now` and caps every device. Given-up gaps leave `gapsOf` and `gapTotals` and are
 * counted per device (see {@link givenUpGaps}). Returns what this call gave up.
 *
 * @example
 * await maintainTelemetryPartitions(store, config)
 * await maintainSequenceGaps(store, config)
 */
export async function maintainSequenceGaps(
  store: Store,
  options: MaintainSequenceGapsOptions = {},
): Promise<GivenUpGaps> {
  const max = options.maxOpenGapsPerDevice ?? 64;
  if (!Number.isSafeInteger(max) || max < 1 || max > 1_000_000) {
    throw new StoreError('Invalid maxOpenGapsPerDevice.', {
      details: `expected an integer 1–1,000,000, got ${String(max)}`,
    });
  }
  const hours = options.gapExpiryHours ?? 24;
  if (!Number.isFinite(hours) || hours < 0 || hours > 876_000) {
    throw new StoreError('Invalid gapExpiryHours.', { details: `expected hours ≥ 0, got ${String(hours)}` });
  }
  const now = toDate(options.now ?? Date.now(), 'now').getTime();
  const before = hours === 0 ? null : new Date(now - hours * 3_600_000);
  const { rows } = await store.query<{ gaps: number; missing: number }>(
    'SELECT gaps, missing FROM store_give_up_gaps($1, $2)',
    [before, max],
  );
  return { gaps: rows[0]!.gaps, missing: rows[0]!.missing };
}

/**
 * The gaps given up so far (over the cap, or expired), of one device or of all.
 *
 * @example
 * const { gaps, missing } = await givenUpGaps(store, deviceId)
 */
export async function givenUpGaps(db: Db, deviceId?: string): Promise<GivenUpGaps> {
  const { rows } = await db.query<{ gaps: number; missing: number }>(
    `SELECT coalesce(sum(given_up_gaps), 0)::float8 AS gaps, coalesce(sum(given_up_missing), 0)::float8 AS missing
     FROM sequence_heads WHERE $1::text IS NULL OR device_id = $1`,
    [deviceId === undefined ? null : deviceIdKey(deviceId)],
  );
  return { gaps: rows[0]!.gaps, missing: rows[0]!.missing };
}
