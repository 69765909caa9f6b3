import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Index } from './openIndex';
import type { TwinStateName } from './twins';
import { deviceIdKey, hashKey, type Row } from './values';

/** A software or library update recorded on chain for a twin (`DeviceUpdateRecorded`). */
export type TwinUpdate = {
  deviceId: Hex;
  /** Numbered from 1 per twin, as the contract numbers them. */
  index: number;
  component: string;
  version: string;
  artifactHash: Hex;
  artifactCid: string;
  block: number;
  tx: Hex;
};

/** A change of a twin's state (`TwinStateChanged`). */
export type TwinStateChange = {
  deviceId: Hex;
  previous: TwinStateName;
  new: TwinStateName;
  /** Who changed it: a security entity, the owner (lost), the manufacturer or an admin (deactivated). */
  by: string;
  /** The evidence's hash or CID, or the owner's note. */
  reason: string;
  block: number;
  tx: Hex;
  logIndex: number;
};

/**
 * Records an update; recording the same (device, index) again changes nothing. True when a row was added.
 *
 * @example
 * recordTwinUpdate(index, { deviceId, index: 1, component: 'openssl', version: '3.0.15', artifactHash, artifactCid: '',
 *   block, tx })
 */
export function recordTwinUpdate(
  index: Index,
  update: Omit<TwinUpdate, 'deviceId' | 'artifactHash' | 'tx'> & {
    deviceId: string | bigint;
    artifactHash: string;
    tx: string;
  },
): boolean {
  const { changes } = index
    .statement(
      `INSERT INTO twin_updates (device_id, update_index, component, version, artifact_hash, artifact_cid, block, tx)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(
      deviceIdKey(update.deviceId),
      update.index,
      update.component,
      update.version,
      hashKey(update.artifactHash, 'artifact hash'),
      update.artifactCid,
      update.block,
      hashKey(update.tx, 'transaction hash'),
    );
  return Number(changes) === 1;
}

/**
 * A twin's updates, oldest first.
 *
 * @example
 * const history = listTwinUpdates(index, deviceId)
 */
export function listTwinUpdates(index: Index, deviceId: string | bigint): TwinUpdate[] {
  const rows = index
    .statement('SELECT * FROM twin_updates WHERE device_id = ? ORDER BY update_index')
    .all(deviceIdKey(deviceId)) as Row[];
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

/**
 * Records a state change; the same event (block, log index) again changes nothing. True when a row was added.
 *
 * @example
 * recordStateChange(index, { deviceId, previous: 'active', new: 'suspended', by: soc, reason: 'bafy…', block, tx,
 *   logIndex })
 */
export function recordStateChange(
  index: Index,
  change: Omit<TwinStateChange, 'deviceId' | 'tx'> & { deviceId: string | bigint; tx: string },
): boolean {
  const { changes } = index
    .statement(
      `INSERT INTO twin_state_changes (device_id, previous, new, changed_by, reason, block, tx, log_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(
      deviceIdKey(change.deviceId),
      change.previous,
      change.new,
      change.by,
      change.reason,
      change.block,
      hashKey(change.tx, 'transaction hash'),
      change.logIndex,
    );
  return Number(changes) === 1;
}

/**
 * A twin's state changes, oldest first.
 *
 * @example
 * const [first] = listStateChanges(index, deviceId)
 */
export function listStateChanges(index: Index, deviceId: string | bigint): TwinStateChange[] {
  const rows = index
    .statement('SELECT * FROM twin_state_changes WHERE device_id = ? ORDER BY block, log_index')
    .all(deviceIdKey(deviceId)) as Row[];
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

/**
 * Deletes the updates and state changes recorded in blocks above `block` (a chain reorganisation undid them).
 *
 * @example
 * deleteTwinHistoryAfter(index, forkBlock)
 */
export function deleteTwinHistoryAfter(index: Index, block: number): number {
  return index.transaction(
    () =>
      Number(index.statement('DELETE FROM twin_updates WHERE block > ?').run(block).changes) +
      Number(index.statement('DELETE FROM twin_state_changes WHERE block > ?').run(block).changes),
  );
}
