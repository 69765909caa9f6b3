import type { Transaction } from '../pool/types';
import { getCursor, type ChainCursor } from './cursor';

/** The first key of the transaction-scoped advisory locks on cursors (the second is the name's `hashtext`). */
export const CURSOR_LOCK_NAMESPACE = 736_100_151;

// Two statements: a read committed statement reads from a snapshot taken when it starts, so a read in the locking
// statement would miss what the previous holder committed while this one waited.
const LOCK = { name: 'store.cursor.lock', text: 'SELECT pg_advisory_xact_lock($1, hashtext($2))' };

/**
 * Locks cursor `name` until the caller's transaction ends and returns it as it now is (undefined before the first
 * run, read after the lock is held): the transaction-scoped advisory lock also covers a cursor not written yet, which a row lock cannot. Every
 * transaction that moves a cursor (applying a range, rewinding after a reorganisation) takes it first, so two
 * instances never interleave on one cursor; each then compares the cursor with the block it read from and writes
 * nothing when another instance moved it meanwhile (compare-and-set). The chain mirror runs on one leader
 * (tryLeadChainMirror), but a leader whose lock session died may still be in a transaction when the next one
 * starts: this lock keeps the two apart.
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   const current = await lockCursor(tx, name)
 *   if ((current?.lastProcessedBlock ?? floor) !== base.block || (current?.lastBlockHash ?? null) !== base.hash) return
 *   await apply(tx, events)
 *   await setCursor(tx, { name, lastProcessedBlock: to, lastBlockHash: hash })
 * })
 */
export async function lockCursor(tx: Transaction, name: string): Promise<ChainCursor | undefined> {
  await tx.query(LOCK, [CURSOR_LOCK_NAMESPACE, name]);
  return getCursor(tx, name);
}
