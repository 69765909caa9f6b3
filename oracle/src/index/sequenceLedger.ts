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
