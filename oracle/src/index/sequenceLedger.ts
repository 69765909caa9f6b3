import type { Index } from './openIndex';

/** One row of the sequence ledger: the highest number accepted for a device and kind (`will` for the last will). */
export type LedgerEntry = { deviceId: string; kind: string; seq: number };

/** Every ledger row, to rebuild the replay check at start. */
export function loadSequenceLedger(index: Index): LedgerEntry[] {
  return (
    index.statement('SELECT device_id, kind, seq FROM sequence_ledger').all() as {
      device_id: string;
      kind: string;
      seq: number;
    }[]
  ).map((row) => ({ deviceId: row.device_id, kind: row.kind, seq: Number(row.seq) }));
}

/**
 * Records ledger rows in one transaction; a lower number never replaces a higher one (the will excepted: a new
 * announcement replaces the old).
 *
 * @example
 * saveSequenceLedger(index, dirtyEntries)
 */
export function saveSequenceLedger(index: Index, entries: readonly LedgerEntry[]): void {
  if (entries.length === 0) return;
  index.transaction(() => {
    const upsert = index.statement(
      `INSERT INTO sequence_ledger (device_id, kind, seq) VALUES (?, ?, ?)
       ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq
       WHERE excluded.kind = 'will' OR excluded.seq > sequence_ledger.seq`,
    );
    for (const entry of entries) upsert.run(entry.deviceId, entry.kind, entry.seq);
  });
}

/**
 * The ledger as the replay check reads it, straight from the index (each call a query): what a dry run of a message
 * compares its sequence number with.
 *
 * @example
 * const ledger = readSequenceLedger(index)
 * ledger.last(deviceId, 'snapshot') // the highest snapshot seq accepted, or undefined
 */
export function readSequenceLedger(index: Index): {
  last(deviceId: string, kind: string): number | undefined;
  willSeq(deviceId: string): number | undefined;
} {
  const read = (deviceId: string, kind: string) => {
    const row = index
      .statement('SELECT seq FROM sequence_ledger WHERE device_id = ? AND kind = ?')
      .get(deviceId.toLowerCase(), kind) as { seq: number } | undefined;
    return row === undefined ? undefined : Number(row.seq);
  };
  return { last: read, willSeq: (deviceId) => read(deviceId, 'will') };
}
