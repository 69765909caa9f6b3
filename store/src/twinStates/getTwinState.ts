import type { Db } from '../pool/withTransaction';
import { toIso } from '../values';
import { readTwinState, type IndexedTwinState } from './types';

/**
 * The twin's state document (an empty one at version 0 before the first write).
 *
 * @example
 * const { desired, reported, version } = await getTwinState(store, deviceId)
 */
export async function getTwinState(db: Db, deviceId: string): Promise<IndexedTwinState> {
  const row = await readTwinState(db, deviceId);
  if (row === undefined) {
    return { desired: {}, reported: null, version: 0, desiredTimes: {}, reportedTimes: {}, updatedAt: null };
  }
  const iso = (times: Record<string, number>) =>
    Object.fromEntries(Object.entries(times).map(([path, at]) => [path, toIso(new Date(at))]));
  return {
    desired: row.desired,
    reported: row.reported,
    version: row.version,
    desiredTimes: iso(row.desired_times),
    reportedTimes: iso(row.reported_times),
    updatedAt: toIso(row.updated_at),
  };
}
