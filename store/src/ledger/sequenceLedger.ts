import { inTransaction, type Db } from '../pool/withTransaction';
import type { Transaction } from '../pool/types';
import { deviceIdKey, sequenceNumber } from '../values';
import { StoreError } from '../errors';

/** A canonical message hash as stored: 0x and 64 lowercase hex digits. */
function hexHash(hash: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) {
    throw new StoreError('Invalid message hash.', {
      details: `expected 0x and 64 hex digits, got ${hash.slice(0, 80)}`,
    });
  }
  return hash.toLowerCase();
}

/** One row of the sequence ledger: the highest number accepted for a device and kind (`will` for the last will). */
export type LedgerEntry = { deviceId: string; kind: string; seq: number };

/**
 * What a sequence number did to its device's gap accounting (see {@link advanceSequenceLedger}): `first` the
 * device's first number, `next` one above its highest, `gap-opened` further above (the numbers between are a new
 * gap), `gap-filled` a number of an open gap (the gap shrank, split or closed), `seen` at or below the highest and in
 * no gap (a duplicate, or a number from before the device's first one).
 */
export type SequenceNote = 'first' | 'next' | 'gap-opened' | 'gap-filled' | 'seen';

/** What {@link advanceSequenceLedger} did. */
export type LedgerAdvance = {
  /** The ledger's number before, undefined for the device's first message of this kind. */
  previous: number | undefined;
  /** Whether the row now holds `seq` (false: it already held as high a number). */
  advanced: boolean;
  /** What the number did to the device's sequence gaps. */
  note: SequenceNote;
};

const ADVANCE = {
  name: 'store.ledger.advance',
  text: 'SELECT previous, advanced, note FROM store_advance_sequence($1, $2, $3)',
};
const SET_HASH = {
  name: 'store.ledger.setHash',
  text: 'UPDATE sequence_ledger SET last_hash = $4 WHERE device_id = $1 AND kind = $2 AND seq = $3',
};
const SELECT = {
  name: 'store.ledger.select',
  text: 'SELECT seq FROM sequence_ledger WHERE device_id = $1 AND kind = $2',
};
const UPSERT = {
  name: 'store.ledger.upsert',
  text: `INSERT INTO sequence_ledger (device_id, kind, seq) VALUES ($1, $2, $3)
         ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq
         WHERE excluded.kind = 'will' OR excluded.seq > sequence_ledger.seq`,
};

/**
 * Advances the ledger row of a device and kind to `seq`, inside the caller's transaction (so that it commits or rolls
 * back with what it accounts for), and accounts for the number in the device's sequence gaps (`sequence_gaps`: a
 * jump past the device's highest number opens a gap, a number inside a gap shrinks, splits or closes it). The
 * device's head row and the ledger row are locked until that transaction ends: two instances advancing one device at
 * once are serialised, and the gaps stay exact. A lower number never replaces a higher one in the ledger (the will
 * excepted: a new announcement replaces the old); the announced will's number is accounted for when its row is
 * written, so it is no gap.
 *
 * Gaps count the device's one counter over every kind (the agent's, spec/README.md: "one counter for every kind").
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   await tx.query(insertReading, values)
 *   const { previous, note } = await advanceSequenceLedger(tx, { deviceId, kind: 'telemetry', seq })
 * })
 */
export async function advanceSequenceLedger(tx: Transaction, entry: LedgerEntry): Promise<LedgerAdvance> {
  const deviceId = deviceIdKey(entry.deviceId);
  const seq = sequenceNumber(entry.seq, 'ledger sequence number');
  const { rows } = await tx.query<{ previous: number | null; advanced: boolean; note: SequenceNote }>(ADVANCE, [
    deviceId,
    entry.kind,
    seq,
  ]);
  const row = rows[0]!;
  return { previous: row.previous ?? undefined, advanced: row.advanced, note: row.note };
}

/**
 * Records the canonical hash of the message a ledger row of a ledger-only kind (`status`, `static`) now holds, in
 * the caller's transaction, after {@link advanceSequenceLedger} moved the row to `seq` (a row holding another number
 * is left as it is). `isIndexedMessage(…, { exact: true })` then tells an identical copy of that message from another
 * message under its number.
 *
 * @example
 * const advance = await advanceSequenceLedger(tx, { deviceId, kind: 'status', seq })
 * if (advance.advanced) await recordLedgerHash(tx, { deviceId, kind: 'status', seq }, hash)
 */
export async function recordLedgerHash(tx: Transaction, entry: LedgerEntry, hash: string): Promise<void> {
  await tx.query(SET_HASH, [
    deviceIdKey(entry.deviceId),
    entry.kind,
    sequenceNumber(entry.seq, 'ledger sequence number'),
    hexHash(hash),
  ]);
}

/**
 * Records ledger rows in one transaction (the caller's when `db` is one), never lowering a row (the will
 * excepted). Restoring only: it does not account for gaps (a saved highest number says nothing of the numbers below
 * it), which {@link advanceSequenceLedger} does per message.
 *
 * @example
 * await saveSequenceLedger(store, [{ deviceId, kind: 'will', seq: 12 }])
 */
export async function saveSequenceLedger(db: Db, entries: readonly LedgerEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await inTransaction(db, async (tx) => {
    for (const entry of entries) {
      await tx.query(UPSERT, [deviceIdKey(entry.deviceId), entry.kind, sequenceNumber(entry.seq)]);
    }
  });
}

/**
 * Every ledger row.
 *
 * @example
 * const entries = await loadSequenceLedger(store)
 */
export async function loadSequenceLedger(db: Db): Promise<LedgerEntry[]> {
  const { rows } = await db.query<{ device_id: string; kind: string; seq: number }>(
    'SELECT device_id, kind, seq FROM sequence_ledger ORDER BY device_id, kind',
  );
  return rows.map((row) => ({ deviceId: row.device_id, kind: row.kind, seq: row.seq }));
}

/**
 * The ledger as the replay check reads it, straight from the database (each call a query, whichever instance
 * wrote the row): what a message's sequence number is compared with.
 *
 * @example
 * const ledger = readSequenceLedger(store)
 * await ledger.last(deviceId, 'snapshot') // the highest snapshot seq accepted, or undefined
 */
export function readSequenceLedger(db: Db): {
  last(deviceId: string, kind: string): Promise<number | undefined>;
  willSeq(deviceId: string): Promise<number | undefined>;
} {
  const read = async (deviceId: string, kind: string) => {
    const { rows } = await db.query<{ seq: number }>(SELECT, [deviceIdKey(deviceId), kind]);
    return rows[0]?.seq;
  };
  return { last: read, willSeq: (deviceId) => read(deviceId, 'will') };
}
