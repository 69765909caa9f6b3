import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { checkTwinState, type TwinStateName } from '../twins/types';
import { addressText, deviceIdKey, hashKey, sequenceNumber, type Row, pgText } from '../values';
import type { TwinStateChange, TwinStateChangeInput } from './types';

const INSERT = {
  name: 'store.twinHistory.recordStateChange',
  text: `INSERT INTO twin_state_changes (device_id, previous, new, changed_by, reason, block, tx, log_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
};
const LIST = {
  name: 'store.twinHistory.listStateChanges',
  text: `SELECT device_id, previous, new, changed_by, reason, block, tx, log_index
         FROM twin_state_changes WHERE device_id = $1 ORDER BY block, log_index`,
};

/**
 * Records a state change of a twin the store has; the same event (block, log index) again changes nothing, from
 * any instance (`ON CONFLICT DO NOTHING`). True when a row was added.
 *
 * @example
 * await recordStateChange(store, { deviceId, previous: 'active', new: 'suspended', by: soc, reason: 'bafy…', block,
 *   tx, logIndex })
 */
export async function recordStateChange(db: Db, change: TwinStateChangeInput): Promise<boolean> {
  const { rowCount } = await db.query(INSERT, [
    deviceIdKey(change.deviceId),
    checkTwinState(change.previous),
    checkTwinState(change.new),
    addressText(change.by, 'changed by'),
    pgText(change.reason),
    sequenceNumber(change.block, 'block'),
    hashKey(change.tx, 'transaction hash'),
    sequenceNumber(change.logIndex, 'log index'),
  ]);
  return rowCount === 1;
}

/**
 * A twin's state changes, oldest first.
 *
 * @example
 * const [first] = await listStateChanges(store, deviceId)
 */
export async function listStateChanges(db: Db, deviceId: string | bigint): Promise<TwinStateChange[]> {
  const { rows } = await db.query<Row>(LIST, [deviceIdKey(deviceId)]);
  return rows.map((row) => ({
    deviceId: row.device_id as Hex,
    previous: row.previous as TwinStateName,
    new: row.new as TwinStateName,
    by: row.changed_by as string,
    reason: row.reason as string,
    block: row.block as number,
    tx: row.tx as Hex,
    logIndex: row.log_index as number,
  }));
}
