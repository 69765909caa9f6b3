import type { Db } from '../pool/withTransaction';
import { deviceIdKey } from '../values';

// One statement: the history rows reference the twin (foreign keys checked at the statement's end), so a burned
// twin leaves with them, all or nothing, whoever else writes.
const DELETE = {
  name: 'store.twins.delete',
  text: `WITH updates AS (DELETE FROM twin_updates WHERE device_id = $1),
              changes AS (DELETE FROM twin_state_changes WHERE device_id = $1)
         DELETE FROM twins WHERE device_id = $1`,
};

/**
 * Removes a twin with its update and state histories, in one statement: the chain mirror does when a
 * reorganisation undoes its mint or when the registrar disputes (burns) it. False when there was no such twin.
 *
 * @example
 * await deleteTwin(store, deviceId)
 */
export async function deleteTwin(db: Db, deviceId: string | bigint): Promise<boolean> {
  const { rowCount } = await db.query(DELETE, [deviceIdKey(deviceId)]);
  return rowCount === 1;
}
