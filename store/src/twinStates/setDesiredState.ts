import type { DesiredState } from '../../../twin-core/src/messages/stateDocument';
import { StoreError } from '../errors';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, toDate, type TimeInput, pgJson } from '../values';
import { leaves, readTwinState, stamp } from './types';

const UPDATE = {
  name: 'store.twinStates.updateDesired',
  text: `UPDATE twin_states SET desired = $2, desired_times = $3, version = $4, updated_at = $5 WHERE device_id = $1`,
};
const INSERT = {
  name: 'store.twinStates.insertDesired',
  text: `INSERT INTO twin_states (device_id, desired, desired_times, version, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id) DO NOTHING`,
};

/**
 * Replaces the desired state when the document is still at `expectedVersion`; returns the new version, or undefined
 * on a conflict (someone wrote first). Compare-and-set across instances: the row is locked (`FOR UPDATE`) while
 * compared and written, and of writers creating the document at once one inserts it, the others compare again with
 * what it wrote. Runs in one transaction (the caller's when `db` is one; read committed, the default).
 *
 * @example
 * const version = (await setDesiredState(store, deviceId, desired, ifMatch, Date.now())) ?? conflict()
 */
export async function setDesiredState(
  db: Db,
  deviceId: string,
  desired: DesiredState,
  expectedVersion: number,
  at: TimeInput,
): Promise<number | undefined> {
  const key = deviceIdKey(deviceId);
  const when = toDate(at, 'time');
  return inTransaction(db, async (tx) => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const row = await readTwinState(tx, key, { lock: true });
      const version = row?.version ?? 0;
      if (version !== expectedVersion) return undefined;
      const times = stamp(leaves(row?.desired), leaves(desired), row?.desired_times ?? {}, when.getTime());
      const values = [key, pgJson(desired), JSON.stringify(times), version + 1, when];
      if (row !== undefined) {
        await tx.query(UPDATE, values);
        return version + 1;
      }
      // No row to lock: the insert decides; a concurrent creator's row is read (and locked) on the next attempt.
      const { rowCount } = await tx.query(INSERT, values);
      if (rowCount === 1) return version + 1;
    }
    throw new StoreError('Cannot write the desired state.', {
      details: `${key}: its document was created concurrently and is not visible to this transaction (use read committed)`,
    });
  });
}
