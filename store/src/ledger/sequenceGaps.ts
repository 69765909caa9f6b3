import type { Db } from '../pool/withTransaction';
import { deviceIdKey, sequenceNumber, toIso } from '../values';

/** A range of a device's sequence numbers never received, below its highest one. */
export type SequenceGap = {
  deviceId: string;
  /** The first missing number. */
  fromSeq: number;
  /** The last missing number (≥ fromSeq). */
  toSeq: number;
  /** How many numbers are missing: toSeq − fromSeq + 1. */
  missing: number;
  /** When the jump that opened the gap was recorded (a split keeps the time of the gap it came from), ISO 8601. */
  detectedAt: string;
};

/** The open gaps of every device, for metrics. */
export type GapTotals = {
  /** Devices with at least one open gap. */
  devices: number;
  /** Open gaps. */
  openGaps: number;
  /** Numbers missing in all. */
  missing: number;
};

/** How a message's sequence number stands against the ledger and the gaps (see {@link sequenceStatus}). */
export type SequenceStatus = {
  /** `new`: above the ledger's number of its kind (or the kind's first); `fills-gap`: a number the device's gaps
   * miss (a late or resent message: accept it); `replay`: at or below the ledger's number, in no gap. */
  status: 'new' | 'fills-gap' | 'replay';
  /** The ledger's number of this device and kind, undefined for its first message of the kind. */
  last: number | undefined;
};

/** The parameters of {@link sequenceStatus}: one message's device, kind and sequence number. */
export type SequenceStatusParameters = { deviceId: string; kind: string; seq: number };

const STATUS = {
  name: 'store.gaps.status',
  text: `SELECT (SELECT seq FROM sequence_ledger WHERE device_id = $1 AND kind = $2) AS last,
                EXISTS (SELECT 1 FROM sequence_gaps WHERE device_id = $1 AND from_seq <= $3 AND to_seq >= $3) AS in_gap`,
};
const GAPS_OF = {
  name: 'store.gaps.of',
  text: `SELECT device_id, from_seq, to_seq, detected_at FROM sequence_gaps WHERE device_id = $1 ORDER BY from_seq`,
};
const TOTALS = {
  name: 'store.gaps.totals',
  text: `SELECT count(DISTINCT device_id)::int AS devices, count(*)::int AS open_gaps,
                coalesce(sum(to_seq - from_seq + 1), 0)::float8 AS missing
         FROM sequence_gaps`,
};

/**
 * The replay check of a message, as the judge needs it once gaps are tracked: a number inside one of the device's
 * open gaps is a late or resent message to accept (its write through {@link advanceSequenceLedger} then fills the
 * gap), not a replay, even when it is below the ledger's number of its kind. Reads the committed state; two
 * instances accepting the same late message store it once (the writes are idempotent on device and seq).
 *
 * @example
 * const { status, last } = await sequenceStatus(store, { deviceId, kind: 'telemetry', seq })
 * if (status === 'replay') reject('replay', `seq ${seq} is not above ${last}`)
 */
export async function sequenceStatus(db: Db, parameters: SequenceStatusParameters): Promise<SequenceStatus> {
  const seq = sequenceNumber(parameters.seq);
  const { rows } = await db.query<{ last: number | null; in_gap: boolean }>(STATUS, [
    deviceIdKey(parameters.deviceId),
    parameters.kind,
    seq,
  ]);
  const last = rows[0]?.last ?? undefined;
  if (rows[0]?.in_gap) return { status: 'fills-gap', last };
  return { status: last !== undefined && seq <= last ? 'replay' : 'new', last };
}

/**
 * Whether a message is a replay: its number is at or below the ledger's for its kind and in none of the device's
 * open gaps (see {@link sequenceStatus}).
 *
 * @example
 * if (await isReplay(store, { deviceId, kind: 'snapshot', seq })) return reject('replay')
 */
export async function isReplay(db: Db, parameters: SequenceStatusParameters): Promise<boolean> {
  return (await sequenceStatus(db, parameters)).status === 'replay';
}

/**
 * The open gaps of one device, lowest first.
 *
 * @example
 * const gaps = await gapsOf(store, deviceId) // [{ fromSeq: 11, toSeq: 14, missing: 4, … }]
 */
export async function gapsOf(db: Db, deviceId: string): Promise<SequenceGap[]> {
  const { rows } = await db.query<{ device_id: string; from_seq: number; to_seq: number; detected_at: Date }>(GAPS_OF, [
    deviceIdKey(deviceId),
  ]);
  return rows.map((row) => ({
    deviceId: row.device_id,
    fromSeq: row.from_seq,
    toSeq: row.to_seq,
    missing: row.to_seq - row.from_seq + 1,
    detectedAt: toIso(row.detected_at),
  }));
}

/**
 * The open gaps of every device together: what the metrics expose (open gaps, missing messages).
 *
 * @example
 * const { openGaps, missing } = await gapTotals(store)
 */
export async function gapTotals(db: Db): Promise<GapTotals> {
  const { rows } = await db.query<{ devices: number; open_gaps: number; missing: number }>(TOTALS);
  const row = rows[0]!;
  return { devices: row.devices, openGaps: row.open_gaps, missing: row.missing };
}
