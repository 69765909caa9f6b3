import type { Db } from '../pool/withTransaction';
import { blockBound } from '../chainEvents/types';

const DELETE = {
  name: 'store.twinHistory.deleteAfter',
  text: `WITH updates AS (DELETE FROM twin_updates WHERE block > $1 RETURNING 1),
              changes AS (DELETE FROM twin_state_changes WHERE block > $1 RETURNING 1)
         SELECT (SELECT count(*) FROM updates) + (SELECT count(*) FROM changes) AS deleted`,
};

/**
 * Deletes the updates and state changes recorded in blocks above `block` (a chain reorganisation undid them), in
 * one statement; returns how many rows went.
 *
 * @example
 * await deleteTwinHistoryAfter(tx, forkBlock)
 */
export async function deleteTwinHistoryAfter(db: Db, block: number): Promise<number> {
  const { rows } = await db.query<{ deleted: number }>(DELETE, [blockBound(block)]);
  return Number(rows[0]!.deleted);
}
