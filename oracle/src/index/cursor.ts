import type { Index } from './openIndex';
import { toIso, type Row } from './values';

/** How far a chain follower got: the last block it processed completely, and that block's hash. */
export type ChainCursor = {
  name: string;
  lastProcessedBlock: number;
  /** Null when the block is below the deployment (nothing processed yet). */
  lastBlockHash: string | null;
  updatedAt: string;
};

/**
 * The cursor called `name`, or undefined before the first run.
 *
 * @example
 * const from = (getCursor(index, 'chain-mirror')?.lastProcessedBlock ?? deploymentBlock - 1) + 1
 */
export function getCursor(index: Index, name: string): ChainCursor | undefined {
  const row = index.statement('SELECT * FROM chain_cursor WHERE name = ?').get(name) as Row | undefined;
  return row === undefined ? undefined : cursorFromRow(row);
}

/**
 * Moves cursor `name` (creating it). Call it in the transaction that applies the blocks it covers.
 *
 * @example
 * index.transaction(() => { apply(events); setCursor(index, { name, lastProcessedBlock: to, lastBlockHash: hash }) })
 */
export function setCursor(
  index: Index,
  cursor: { name: string; lastProcessedBlock: number; lastBlockHash: string | null },
  now = Date.now(),
): void {
  index
    .statement(
      `INSERT INTO chain_cursor (name, last_processed_block, last_block_hash, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET last_processed_block = excluded.last_processed_block,
         last_block_hash = excluded.last_block_hash, updated_at = excluded.updated_at`,
    )
    .run(cursor.name, cursor.lastProcessedBlock, cursor.lastBlockHash?.toLowerCase() ?? null, now);
}

/**
 * Every cursor, by name.
 *
 * @example
 * listCursors(index).map((cursor) => cursor.name)
 */
export function listCursors(index: Index): ChainCursor[] {
  return (index.statement('SELECT * FROM chain_cursor ORDER BY name').all() as Row[]).map(cursorFromRow);
}

function cursorFromRow(row: Row): ChainCursor {
  return {
    name: row.name as string,
    lastProcessedBlock: row.last_processed_block as number,
    lastBlockHash: row.last_block_hash as string | null,
    updatedAt: toIso(row.updated_at as number),
  };
}
