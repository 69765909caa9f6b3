import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, sequenceNumber, type Row, pgText } from '../values';
import type { TwinUpdate, TwinUpdateInput } from './types';

const INSERT = {
  name: 'store.twinHistory.recordUpdate',
  text: `INSERT INTO twin_updates (device_id, update_index, component, version, artifact_hash, artifact_cid, block, tx)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
};
const LIST = {
  name: 'store.twinHistory.listUpdates',
  text: `SELECT device_id, update_index, component, version, artifact_hash, artifact_cid, block, tx
         FROM twin_updates WHERE device_id = $1 ORDER BY update_index`,
};

/**
 * Records an update of a twin the store has; recording the same (device, index) again changes nothing, from any
 * instance (`ON CONFLICT DO NOTHING`). True when a row was added.
 *
 * @example
 * await recordTwinUpdate(store, { deviceId, index: 1, component: 'openssl', version: '3.0.15', artifactHash,
 *   artifactCid: '', block, tx })
 */
export async function recordTwinUpdate(db: Db, update: TwinUpdateInput): Promise<boolean> {
  const { rowCount } = await db.query(INSERT, [
    deviceIdKey(update.deviceId),
    sequenceNumber(update.index, 'update index'),
    pgText(update.component),
    pgText(update.version),
    hashKey(update.artifactHash, 'artifact hash'),
    pgText(update.artifactCid),
    sequenceNumber(update.block, 'block'),
    hashKey(update.tx, 'transaction hash'),
  ]);
  return rowCount === 1;
}

/**
 * A twin's updates, oldest first.
 *
 * @example
 * const history = await listTwinUpdates(store, deviceId)
 */
export async function listTwinUpdates(db: Db, deviceId: string | bigint): Promise<TwinUpdate[]> {
  const { rows } = await db.query<Row>(LIST, [deviceIdKey(deviceId)]);
  return rows.map((row) => ({
    deviceId: row.device_id as Hex,
    index: row.update_index as number,
    component: row.component as string,
    version: row.version as string,
    artifactHash: row.artifact_hash as Hex,
    artifactCid: row.artifact_cid as string,
    block: row.block as number,
    tx: row.tx as Hex,
  }));
}
