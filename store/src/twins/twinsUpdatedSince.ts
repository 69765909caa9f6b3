import type { Db } from '../pool/withTransaction';
import { pageSize, type Row } from '../values';
import { TWIN_COLUMNS, twinFromRow, type IndexedTwin } from './types';

/**
 * Twins updated at or after block `fromBlock` (the chain mirror's confirmed view), in update order (block, then
 * DeviceID), at most `limit` (default 10,000, at most 100,000): what the oracle's twin-record publisher scans.
 *
 * @example
 * for (const twin of await twinsUpdatedSince(store, lastBlock)) publish(twin)
 */
export async function twinsUpdatedSince(db: Db, fromBlock: number, limit?: number): Promise<IndexedTwin[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.twins.updatedSince',
      text: `SELECT ${TWIN_COLUMNS} FROM twins WHERE updated_block >= $1 ORDER BY updated_block, device_id LIMIT $2`,
    },
    [Math.floor(fromBlock), pageSize(limit, 10_000, 100_000)],
  );
  return rows.map(twinFromRow);
}
