import type { Index } from './openIndex';

/** One row of the sequence ledger: the highest number accepted for a device and kind (`will` for the last will). */
export type LedgerEntry = { deviceId: string; kind: string; seq: number };

/**
 * Every ledger row: what the oracle's replay check starts from. The ledger is index state, never a separate
 * periodically saved copy: each row advances in the transaction that indexes the message's effect
 * ({@link advanceSequenceLedger}), so it never runs ahead of what the index holds.
 *
 * @example
 * for (const entry of loadSequenceLedger(index)) lastSeq.set(`${entry.deviceId}:${entry.kind}`, entry.seq)
 */
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
 * Advances ledger rows, in one transaction (a savepoint inside the caller's: call it in the transaction that
 * indexes the accepted messages, so the ledger and their effect commit or roll back together); a lower number never
 * replaces a higher one (the will excepted: a new announcement replaces the old).
 *
 * @example
 * index.transaction(() => { insert(); advanceSequenceLedger(index, [{ deviceId, kind: 'snapshot', seq }]) })
 */
export function advanceSequenceLedger(index: Index, entries: readonly LedgerEntry[]): void {
  if (entries.length === 0) return;
  index.transaction(() => {
    const upsert = index.statement(
      `INSERT INTO sequence_ledger (device_id, kind, seq) VALUES (?, ?, ?)
       ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq
       WHERE excluded.kind = 'will' OR excluded.seq > sequence_ledger.seq`,
    );
    for (const entry of entries) upsert.run(entry.deviceId.toLowerCase(), entry.kind, entry.seq);
  });
}

/**
 * Whether the index already holds the effect of this accepted message (what a journal entry replayed after a crash
 * is checked against before it is judged: processed before the crash, its completion not yet on disk, it is the
 * same message, not a replay of itself). A snapshot is held with the same hash; a telemetry reading among the kept
 * readings or as the latest one with the same body; a static document or a status at or below the ledger's number
 * (their indexed effect is the ledger row itself).
 *
 * @example
 * if (replayed && isIndexedMessage(index, checked.message, checked.hash)) return journal.complete(offset)
 */
export function isIndexedMessage(
  index: Index,
  message: { deviceId: string; kind: string; seq: number; body?: unknown },
  hash: string,
): boolean {
  const deviceId = message.deviceId.toLowerCase();
  const last = readSequenceLedger(index).last(deviceId, message.kind);
  if (last === undefined || message.seq > last) return false;
  if (message.kind === 'snapshot') {
    const row = index
      .statement('SELECT hash FROM snapshots WHERE device_id = ? AND seq = ?')
      .get(deviceId, message.seq) as { hash: string } | undefined;
    return row !== undefined && row.hash.toLowerCase() === hash.toLowerCase();
  }
  if (message.kind === 'telemetry') {
    const body = JSON.stringify(message.body);
    const held = (sql: string) =>
      (index.statement(sql).get(deviceId, message.seq) as { body: string } | undefined)?.body === body;
    return (
      held('SELECT body FROM telemetry_readings WHERE device_id = ? AND seq = ?') ||
      held('SELECT body FROM latest_telemetry WHERE device_id = ? AND seq = ?')
    );
  }
  return true;
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
