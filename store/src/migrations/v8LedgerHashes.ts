/**
 * Migration 8: the canonical hash of the message each ledger row of a ledger-only kind (`status`, `static`: indexed
 * by their ledger row alone) last accepted (`sequence_ledger.last_hash`, null for the other kinds and for rows
 * written before). With it an identical copy of such a message, which a shared subscription may hand to another
 * instance after a dropped session, is told from a replay (another message under that number) by any instance
 * (`isIndexedMessage` with `exact`).
 */
export const V8_LEDGER_HASHES = `
ALTER TABLE sequence_ledger ADD COLUMN last_hash hex;
`;
