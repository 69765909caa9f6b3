import type { Db } from '../pool/withTransaction';
import { type Row, pgText } from '../values';
import { CHAIN_EVENT_COLUMNS, blockBound, chainEventFromRow, type StoredChainEvent } from './types';

const AFTER = {
  name: 'store.chainEvents.after',
  text: `SELECT ${CHAIN_EVENT_COLUMNS} FROM chain_events WHERE block > $1 ORDER BY block, log_index`,
};
const OF = {
  name: 'store.chainEvents.of',
  text: `SELECT ${CHAIN_EVENT_COLUMNS} FROM chain_events WHERE subject = $1::text ORDER BY block, log_index`,
};
const BLOCKS = {
  name: 'store.chainEvents.blocks',
  text: 'SELECT DISTINCT block, block_hash FROM chain_events ORDER BY block',
};

/**
 * Applied events in blocks above `block`, in chain order.
 *
 * @example
 * const undone = await chainEventsAfter(tx, forkBlock)
 */
export async function chainEventsAfter(db: Db, block: number): Promise<StoredChainEvent[]> {
  const { rows } = await db.query<Row>(AFTER, [blockBound(block)]);
  return rows.map(chainEventFromRow);
}

/**
 * Applied events about `subject` (any case), in chain order.
 *
 * @example
 * const history = await chainEventsOf(store, deviceId)
 */
export async function chainEventsOf(db: Db, subject: string): Promise<StoredChainEvent[]> {
  const { rows } = await db.query<Row>(OF, [pgText(subject)]);
  return rows.map(chainEventFromRow);
}

/**
 * Every block holding an applied event, with the hash it had when applied, ascending.
 *
 * @example
 * const blocks = await chainEventBlocks(store) // [{ block: 12, hash: '0x…' }, …]
 */
export async function chainEventBlocks(db: Db): Promise<{ block: number; hash: string }[]> {
  const { rows } = await db.query<{ block: number; block_hash: string }>(BLOCKS);
  return rows.map((row) => ({ block: row.block, hash: row.block_hash }));
}
