import type { Db } from '../pool/withTransaction';
import type { Row } from '../values';
import { CHAIN_EVENT_COLUMNS, blockBound, chainEventFromRow, type StoredChainEvent } from './types';

const DELETE = { name: 'store.chainEvents.deleteAfter', text: 'DELETE FROM chain_events WHERE block > $1' };
const TAKE = {
  name: 'store.chainEvents.takeAfter',
  text: `WITH taken AS (DELETE FROM chain_events WHERE block > $1 RETURNING ${CHAIN_EVENT_COLUMNS})
         SELECT * FROM taken ORDER BY block, log_index`,
};

/**
 * Deletes the applied events in blocks above `block`; returns how many.
 *
 * @example
 * await deleteChainEventsAfter(tx, forkBlock)
 */
export async function deleteChainEventsAfter(db: Db, block: number): Promise<number> {
  const { rowCount } = await db.query(DELETE, [blockBound(block)]);
  return rowCount ?? 0;
}

/**
 * Deletes the applied events in blocks above `block` and returns them, in chain order, in one statement: what a
 * rewind reads and deletes as {@link chainEventsAfter} then {@link deleteChainEventsAfter} do, without an event
 * recorded between the two being deleted unread (and so never rebuilt from).
 *
 * @example
 * const undone = await takeChainEventsAfter(tx, fork.block)
 */
export async function takeChainEventsAfter(db: Db, block: number): Promise<StoredChainEvent[]> {
  const { rows } = await db.query<Row>(TAKE, [blockBound(block)]);
  return rows.map(chainEventFromRow);
}
