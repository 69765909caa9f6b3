import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { addressText, deviceIdKey, pageSize, toDate, toIso, type TimeInput } from '../values';
import {
  MAX_SECURITY_PAGE,
  MAX_SECURITY_ROWS_PER_STATEMENT,
  MAX_SECURITY_STATE_BYTES,
  type SecurityDeviceState,
  type SecurityPageQuery,
  type StoredSecurityDeviceState,
} from './types';
import { chunks } from './chunks';

const UPSERT = {
  name: 'store.security.saveDeviceStates',
  text: `INSERT INTO security_device_states (entity, device_id, state, updated_at)
         SELECT $1, device_id, state, $4 FROM unnest($2::text[], $3::bytea[]) AS t (device_id, state)
         ON CONFLICT (entity, device_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
};
const DELETE = {
  name: 'store.security.deleteDeviceStates',
  text: 'DELETE FROM security_device_states WHERE entity = $1 AND device_id = ANY ($2::text[])',
};
const LIST = {
  name: 'store.security.listDeviceStates',
  text: `SELECT device_id, state, updated_at FROM security_device_states
         WHERE entity = $1 AND device_id > $2 ORDER BY device_id LIMIT $3`,
};

/**
 * Saves device states of one security entity (`entity`, its address): each row inserted or replaced, at most
 * {@link MAX_SECURITY_ROWS_PER_STATEMENT} per statement (multi-row upsert). Refuses an empty or over-large state, or
 * a device twice, naming it. Returns the rows written.
 *
 * @example
 * await saveSecurityDeviceStates(store, wallet.address, changed.map((deviceId) => ({ deviceId, state: analyzer.exportDevice(deviceId)! })))
 */
export async function saveSecurityDeviceStates(
  db: Db,
  entity: string,
  states: readonly SecurityDeviceState[],
  now: TimeInput = Date.now(),
): Promise<number> {
  const account = addressText(entity, 'security entity');
  const at = toDate(now, 'update time');
  const seen = new Set<string>();
  const rows = states.map(({ deviceId, state }) => {
    const key = deviceIdKey(deviceId);
    if (seen.has(key)) throw new StoreError('A device state given twice.', { details: key });
    seen.add(key);
    if (!(state instanceof Uint8Array) || state.length === 0 || state.length > MAX_SECURITY_STATE_BYTES) {
      throw new StoreError('Invalid device state.', {
        details: `${key}: expected 1 to ${MAX_SECURITY_STATE_BYTES} bytes, got ${
          state instanceof Uint8Array ? state.length : typeof state
        }`,
      });
    }
    return [key, Buffer.from(state.buffer, state.byteOffset, state.byteLength)] as const;
  });
  let written = 0;
  for (const chunk of chunks(rows, MAX_SECURITY_ROWS_PER_STATEMENT)) {
    const { rowCount } = await db.query(UPSERT, [
      account,
      chunk.map(([key]) => key),
      chunk.map(([, bytes]) => bytes),
      at,
    ]);
    written += rowCount ?? 0;
  }
  return written;
}

/**
 * Deletes device states of one entity (devices it forgot); returns how many rows went.
 *
 * @example
 * await deleteSecurityDeviceStates(store, wallet.address, removed)
 */
export async function deleteSecurityDeviceStates(
  db: Db,
  entity: string,
  deviceIds: readonly string[],
): Promise<number> {
  const account = addressText(entity, 'security entity');
  let deleted = 0;
  for (const chunk of chunks(
    deviceIds.map((deviceId) => deviceIdKey(deviceId)),
    MAX_SECURITY_ROWS_PER_STATEMENT,
  )) {
    deleted += (await db.query(DELETE, [account, chunk])).rowCount ?? 0;
  }
  return deleted;
}

/**
 * One page of an entity's saved device states, in DeviceID order after `after`.
 *
 * @example
 * for (let page = await listSecurityDeviceStates(store, entity); page.length > 0;
 *   page = await listSecurityDeviceStates(store, entity, { after: page.at(-1)!.deviceId })) restore(page)
 */
export async function listSecurityDeviceStates(
  db: Db,
  entity: string,
  query: SecurityPageQuery = {},
): Promise<StoredSecurityDeviceState[]> {
  const account = addressText(entity, 'security entity');
  const after = query.after === undefined ? '' : deviceIdKey(query.after);
  const limit = pageSize(query.limit, 1_000, MAX_SECURITY_PAGE);
  const { rows } = await db.query<{ device_id: string; state: Buffer; updated_at: Date }>(LIST, [
    account,
    after,
    limit,
  ]);
  return rows.map((row) => ({
    deviceId: row.device_id,
    state: new Uint8Array(row.state),
    updatedAt: toIso(row.updated_at),
  }));
}
