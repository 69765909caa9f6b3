import type { Db } from '../pool/withTransaction';
import { blockBound } from '../chainEvents/types';
import { hashKey, toDate, toIso, type Row, type TimeInput } from '../values';

/** How far a chain follower got: the last block it processed completely, and that block's hash. */
export type ChainCursor = {
  name: string;
  lastProcessedBlock: number;
  /** Null when the block is below the deployment (nothing processed yet). */
  lastBlockHash: string | null;
  updatedAt: string;
};

/** What {@link setCursor} takes. */
export type ChainCursorInput = { name: string; lastProcessedBlock: number; lastBlockHash: string | null };

const GET = {
  name: 'store.cursor.get',
  text: 'SELECT name, last_processed_block, last_block_hash, updated_at FROM chain_cursor WHERE name = $1',
};
const SET = {
  name: 'store.cursor.set',
  text: `INSERT INTO chain_cursor (name, last_processed_block, last_block_hash, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET last_processed_block = excluded.last_processed_block,
           last_block_hash = excluded.last_block_hash, updated_at = excluded.updated_at`,
};
const LIST = {
  name: 'store.cursor.list',
  text: 'SELECT name, last_processed_block, last_block_hash, updated_at FROM chain_cursor ORDER BY name',
};

/**
 * The cursor called `name`, or undefined before the first run.
 *
 * @example
 * const from = ((await getCursor(store, 'chain-mirror'))?.lastProcessedBlock ?? deploymentBlock - 1) + 1
 */
export async function getCursor(db: Db, name: string): Promise<ChainCursor | undefined> {
  const { rows } = await db.query<Row>(GET, [name]);
  return rows[0] === undefined ? undefined : cursorFromRow(rows[0]);
}

/**
 * Moves cursor `name` (creating it), in one statement (`INSERT … ON CONFLICT`). Call it in the transaction that
 * applies the blocks it covers, after {@link lockCursor} (which serialises the instances moving one cursor).
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   await lockCursor(tx, name)
 *   await apply(tx, events)
 *   await setCursor(tx, { name, lastProcessedBlock: to, lastBlockHash: hash })
 * })
 */
export async function setCursor(db: Db, cursor: ChainCursorInput, now: TimeInput = Date.now()): Promise<void> {
  await db.query(SET, [
    cursor.name,
    blockBound(cursor.lastProcessedBlock, 'last processed block'),
    cursor.lastBlockHash === null ? null : hashKey(cursor.lastBlockHash, 'block hash'),
    toDate(now, 'cursor time'),
  ]);
}

/**
 * Every cursor, by name.
 *
 * @example
 * (await listCursors(store)).map((cursor) => cursor.name)
 */
export async function listCursors(db: Db): Promise<ChainCursor[]> {
  const { rows } = await db.query<Row>(LIST);
  return rows.map(cursorFromRow);
}

/**
 * A `chain_cursor` row as the store returns it.
 *
 * @example
 * rows.map(cursorFromRow)
 */
export function cursorFromRow(row: Row): ChainCursor {
  return {
    name: row.name as string,
    lastProcessedBlock: row.last_processed_block as number,
    lastBlockHash: row.last_block_hash as string | null,
    updatedAt: toIso(row.updated_at as Date),
  };
}
