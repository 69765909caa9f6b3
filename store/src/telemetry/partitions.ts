import { StoreError } from '../errors';
import type { Store } from '../pool/types';
import { withTransaction, type Db } from '../pool/withTransaction';
import { toDate, type TimeInput } from '../values';

const DAY_MS = 86_400_000;

/** Serialises the instances creating or dropping telemetry partitions (`pg_advisory_xact_lock`). */
export const TELEMETRY_PARTITION_LOCK_KEY = 0x7e1e_0001;

/** Options of {@link ensureTelemetryPartitions}. */
export type EnsureTelemetryPartitionsOptions = {
  /** Days after today (UTC) that get a partition too (default 3): readings up to then find theirs. */
  daysAhead?: number;
  /** Days before today that get one when missing (default 1: a backlog of yesterday's readings). */
  daysBehind?: number;
};

/** Options of {@link dropExpiredTelemetry}. */
export type DropExpiredTelemetryOptions = {
  /** Readings are kept this many days at least (a partition goes once all its day is older). */
  retentionDays: number;
  /** Default now. */
  now?: TimeInput;
};

/** The days (UTC, `YYYY-MM-DD`) whose partitions were created or dropped. */
export type TelemetryPartitionChange = { days: string[] };

/**
 * Creates the daily partitions of `telemetry_readings` (one per UTC day) from `daysBehind` days before `now` to
 * `daysAhead` days after, those missing only, and lists them in `telemetry_partitions` (what
 * {@link recordTelemetryBatch} checks: a reading of a day without a partition is not kept). Safe to run from every
 * instance at once (an advisory lock serialises them); run it at start and at least daily. It takes the store, not a
 * transaction: creating a partition locks `telemetry_readings` until its own commit, which must not wait on a
 * caller's transaction that wrote readings.
 *
 * @example
 * await ensureTelemetryPartitions(store, Date.now()) // today, yesterday and the next 3 days
 */
export async function ensureTelemetryPartitions(
  store: Store,
  now: TimeInput = Date.now(),
  options: EnsureTelemetryPartitionsOptions = {},
): Promise<TelemetryPartitionChange> {
  const today = dayStart(toDate(now, 'now'));
  const ahead = days(options.daysAhead ?? 3, 'daysAhead');
  const behind = days(options.daysBehind ?? 1, 'daysBehind');
  const wanted = Array.from({ length: ahead + behind + 1 }, (_, i) => dayText(today + (i - behind) * DAY_MS));
  const known = await store.query<{ day: string }>(
    "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM telemetry_partitions WHERE day = ANY($1::date[])",
    [wanted],
  );
  const have = new Set(known.rows.map((row) => row.day));
  if (wanted.every((day) => have.has(day))) return { days: [] };
  return withTransaction(store, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [TELEMETRY_PARTITION_LOCK_KEY]);
    const created: string[] = [];
    for (const day of wanted) {
      const name = partitionName(day);
      const { rowCount } = await tx.query(
        'INSERT INTO telemetry_partitions (day, name) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING',
        [day, name],
      );
      if (rowCount !== 1) continue;
      const next = dayText(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF telemetry_readings
         FOR VALUES FROM ('${day} 00:00:00+00') TO ('${next} 00:00:00+00')`,
      );
      created.push(day);
    }
    return { days: created };
  });
}

/**
 * Drops the partitions of `telemetry_readings` whose whole day is more than `retentionDays` days before `now`: the
 * readings' retention by age (a day at a time: a reading is kept `retentionDays` to `retentionDays + 1` days). Safe
 * to run from every instance at once. The latest reading of each device and the batch records are kept. Dropping
 * a partition takes an exclusive lock on `telemetry_readings` for a moment: writers wait for it (and it for them).
 *
 * @example
 * await dropExpiredTelemetry(store, { retentionDays: 30 })
 */
export async function dropExpiredTelemetry(
  store: Store,
  options: DropExpiredTelemetryOptions,
): Promise<TelemetryPartitionChange> {
  const retention = days(options.retentionDays, 'retentionDays');
  if (retention < 1) throw new StoreError('Invalid retentionDays.', { details: 'expected an integer ≥ 1, got 0' });
  const cutoff = toDate(options.now ?? Date.now(), 'now').getTime() - retention * DAY_MS;
  // The last day wholly before the cutoff: its end (the next day's start) is at or before the cutoff.
  const lastExpired = dayText(dayStart(new Date(cutoff)) - DAY_MS);
  return withTransaction(store, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [TELEMETRY_PARTITION_LOCK_KEY]);
    const { rows } = await tx.query<{ day: string; name: string }>(
      `DELETE FROM telemetry_partitions WHERE day <= $1::date
       RETURNING to_char(day, 'YYYY-MM-DD') AS day, name`,
      [lastExpired],
    );
    rows.sort((a, b) => a.day.localeCompare(b.day));
    for (const { name } of rows) await tx.query(`DROP TABLE IF EXISTS ${checkedName(name)}`);
    return { days: rows.map((row) => row.day) };
  });
}

/**
 * The partitions of `telemetry_readings` listed, oldest first (UTC days, `YYYY-MM-DD`).
 *
 * @example
 * await telemetryPartitions(store) // ['2026-12-02', '2026-12-03', …]
 */
export async function telemetryPartitions(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ day: string }>(
    "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM telemetry_partitions ORDER BY day",
  );
  return rows.map((row) => row.day);
}

function partitionName(day: string): string {
  return `telemetry_readings_p${day.replaceAll('-', '')}`;
}

function checkedName(name: string): string {
  if (!/^telemetry_readings_p\d{8}$/.test(name)) {
    throw new StoreError('Invalid telemetry partition name.', { details: name });
  }
  return name;
}

function days(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 36_500) {
    throw new StoreError(`Invalid ${field}.`, { details: `expected whole days ≥ 0, got ${String(value)}` });
  }
  return value;
}

function dayStart(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS) * DAY_MS;
}

function dayText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Options of {@link maintainTelemetryPartitions}: the store config's keys. */
export type MaintainTelemetryOptions = {
  /** `telemetryRetentionDays` of the store config. */
  telemetryRetentionDays: number;
  /** `telemetryPartitionsAhead` of the store config (default 3). */
  telemetryPartitionsAhead?: number;
  /** Default now. */
  now?: TimeInput;
};

/**
 * The telemetry history's upkeep, from the store config: the partitions of the next days created, those past the
 * retention dropped. What a process writing telemetry runs at start and then every hour or so.
 *
 * @example
 * const config = loadStoreConfig()
 * await maintainTelemetryPartitions(store, config)
 * await maintainSequenceGaps(store, config) // alongside: the sequence gaps' cap and expiry
 * setInterval(() => void maintainTelemetryPartitions(store, config).catch(warn), 3_600_000)
 */
export async function maintainTelemetryPartitions(
  store: Store,
  options: MaintainTelemetryOptions,
): Promise<{ created: string[]; dropped: string[] }> {
  const now = options.now ?? Date.now();
  const created = await ensureTelemetryPartitions(store, now, { daysAhead: options.telemetryPartitionsAhead ?? 3 });
  const dropped = await dropExpiredTelemetry(store, { retentionDays: options.telemetryRetentionDays, now });
  return { created: created.days, dropped: dropped.days };
}
