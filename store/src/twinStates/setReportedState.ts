import type { ReportedState } from '../../../twin-core/src/messages/stateDocument';
import { StoreError } from '../errors';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, toDate, type TimeInput, pgJson } from '../values';
import { leaves, readTwinState, sameState, stamp } from './types';

const UPDATE = {
  name: 'store.twinStates.updateReported',
  text: 'UPDATE twin_states SET reported = $2, reported_times = $3, updated_at = $4 WHERE device_id = $1',
};
const INSERT = {
  name: 'store.twinStates.insertReported',
  text: `INSERT INTO twin_states (device_id, reported, reported_times, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (device_id) DO NOTHING`,
};

/**
 * Records what the device reports (from its signed status); returns whether anything changed (compared member
 * order aside: jsonb does not keep it). The row is locked while compared and written, so two instances recording
 * one report at once change it once.
 *
 * @example
 * await setReportedState(store, deviceId, reportedFromStatus(status.body), Date.now())
 */
export async function setReportedState(
  db: Db,
  deviceId: string,
  reported: ReportedState,
  at: TimeInput,
): Promise<boolean> {
  const key = deviceIdKey(deviceId);
  const when = toDate(at, 'time');
  return inTransaction(db, async (tx) => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const row = await readTwinState(tx, key, { lock: true });
      const previous = row?.reported ?? null;
      if (sameState(previous, reported)) return false;
      const times = stamp(leaves(previous), leaves(reported), row?.reported_times ?? {}, when.getTime());
      const values = [key, pgJson(reported), JSON.stringify(times), when];
      if (row !== undefined) {
        await tx.query(UPDATE, values);
        return true;
      }
      const { rowCount } = await tx.query(INSERT, values);
      if (rowCount === 1) return true;
    }
    throw new StoreError('Cannot write the reported state.', {
      details: `${key}: its document was created concurrently and is not visible to this transaction (use read committed)`,
    });
  });
}
