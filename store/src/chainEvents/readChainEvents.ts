import type { Db } from '../pool/withTransaction';
import { type Row, pageSize, pgText } from '../values';
import { CHAIN_EVENT_COLUMNS, blockBound, chainEventFromRow, type StoredChainEvent } from './types';

const AFTER = {
  name: 'store.chainEvents.after',
  text: `SELECT ${CHAIN_EVENT_COLUMNS} FROM chain_events WHERE block > $1 ORDER BY block, log_index LIMIT $2`,
};
const OF = {
  name: 'store.chainEvents.of',
  text: `SELECT ${CHAIN_EVENT_COLUMNS} FROM chain_events WHERE subject = $1::text ORDER BY block, log_index LIMIT $2`,
};
const NAMED = {
  name: 'store.chainEvents.named',
  text: `SELECT ${CHAIN_EVENT_COLUMNS} FROM chain_events WHERE name = $1 AND (block, log_index) > ($2, $3)
         ORDER BY block, log_index LIMIT $4`,
};
const BLOCKS = {
  name: 'store.chainEvents.blocks',
  text: 'SELECT DISTINCT block, block_hash FROM chain_events ORDER BY block LIMIT $1',
};
const NEWEST_BLOCKS = {
  name: 'store.chainEvents.newestBlocks',
  text: `SELECT DISTINCT block, block_hash FROM chain_events WHERE block < $1
         ORDER BY block DESC LIMIT $2`,
};

/** Rows a chain-event listing returns by default ({@link ChainEventsOptions}). */
export const DEFAULT_CHAIN_EVENTS_LIMIT = 10_000;
/** Rows a chain-event listing returns at most, whatever `limit` asks ({@link ChainEventsOptions}). */
export const MAX_CHAIN_EVENTS_LIMIT = 100_000;

/** Options of the chain-event listings: `limit` rows at most, the first in chain order (default 10,000, at most
 * 100,000; not a positive integer: refused). */
export type ChainEventsOptions = { limit?: number };

const limitOf = (options: ChainEventsOptions) =>
  pageSize(options.limit, DEFAULT_CHAIN_EVENTS_LIMIT, MAX_CHAIN_EVENTS_LIMIT);

/**
 * Applied events in blocks above `block`, in chain order: the first `limit` ({@link ChainEventsOptions}).
 *
 * @example
 * const undone = await chainEventsAfter(tx, forkBlock)
 */
export async function chainEventsAfter(
  db: Db,
  block: number,
  options: ChainEventsOptions = {},
): Promise<StoredChainEvent[]> {
  const { rows } = await db.query<Row>(AFTER, [blockBound(block), limitOf(options)]);
  return rows.map(chainEventFromRow);
}

/**
 * Applied events about `subject` (any case), in chain order: the first `limit` ({@link ChainEventsOptions}).
 *
 * @example
 * const history = await chainEventsOf(store, deviceId)
 */
export async function chainEventsOf(
  db: Db,
  subject: string,
  options: ChainEventsOptions = {},
): Promise<StoredChainEvent[]> {
  const { rows } = await db.query<Row>(OF, [pgText(subject), limitOf(options)]);
  return rows.map(chainEventFromRow);
}

/**
 * The blocks holding an applied event, with the hash each had when applied, ascending: the first `limit`
 * ({@link ChainEventsOptions}).
 *
 * @example
 * const blocks = await chainEventBlocks(store) // [{ block: 12, hash: '0x…' }, …]
 */
export async function chainEventBlocks(
  db: Db,
  options: ChainEventsOptions = {},
): Promise<{ block: number; hash: string }[]> {
  const { rows } = await db.query<{ block: number; block_hash: string }>(BLOCKS, [limitOf(options)]);
  return rows.map((row) => ({ block: row.block, hash: row.block_hash }));
}

/** Options of {@link newestChainEventBlocks}: the blocks below `below` (default: all), `limit` at most. */
export type NewestChainEventBlocksOptions = ChainEventsOptions & { below?: number };

/**
 * The blocks holding an applied event, with the hash each had when applied, newest first: the `limit` newest
 * ({@link ChainEventsOptions}) below block `below` (default: every block). Paging backwards from the head is how a
 * reorganisation's fork point is found, however many blocks the mirror holds.
 *
 * @example
 * const page = await newestChainEventBlocks(store, { limit: 1_000 }) // [{ block: 812, hash: '0x…' }, …]
 * const next = await newestChainEventBlocks(store, { limit: 1_000, below: page.at(-1)!.block })
 */
export async function newestChainEventBlocks(
  db: Db,
  options: NewestChainEventBlocksOptions = {},
): Promise<{ block: number; hash: string }[]> {
  const below = options.below === undefined ? Number.MAX_SAFE_INTEGER : blockBound(options.below);
  const { rows } = await db.query<{ block: number; block_hash: string }>(NEWEST_BLOCKS, [below, limitOf(options)]);
  return rows.map((row) => ({ block: row.block, hash: row.block_hash }));
}

/**
 * Applied events named `name` (e.g. `BatchAnchored`) after the position `after` (block, log index; default: from
 * the start), in chain order: the first `limit` ({@link ChainEventsOptions}). Page on with the last one's position.
 *
 * @example
 * let after = { block: -1, logIndex: -1 }
 * for (let page; (page = await chainEventsNamed(store, 'BatchAnchored', { after, limit: 100 })).length > 0; ) {
 *   after = page.at(-1)!
 * }
 */
export async function chainEventsNamed(
  db: Db,
  name: string,
  options: ChainEventsOptions & { after?: { block: number; logIndex: number } } = {},
): Promise<StoredChainEvent[]> {
  const after = options.after ?? { block: -1, logIndex: -1 };
  const { rows } = await db.query<Row>(NAMED, [
    pgText(name),
    blockBound(after.block),
    blockBound(after.logIndex, 'log index'),
    limitOf(options),
  ]);
  return rows.map(chainEventFromRow);
}
