import type { DesiredState, ReportedState } from '../../../twin-core/src/messages/stateDocument';
import type { Index } from './openIndex';
import { deviceIdKey, toIso, type Row } from './values';

/** A twin's state document as stored: desired (and its version), reported, and when each field last changed. */
export type IndexedTwinState = {
  desired: DesiredState;
  reported: ReportedState | null;
  version: number;
  /** ISO time of the last change of each field path (`intervals.telemetrySeconds`, `actuators.fan`). */
  desiredTimes: Record<string, string>;
  reportedTimes: Record<string, string>;
  updatedAt: string | null;
};

/** Field paths of a state, one level under `intervals` and `actuators`, with their JSON values. */
function leaves(state: DesiredState | ReportedState | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [group, value] of Object.entries(state ?? {}))
    for (const [key, leaf] of Object.entries((value ?? {}) as Record<string, unknown>))
      out.set(`${group}.${key}`, JSON.stringify(leaf));
  return out;
}

function stamp(before: Map<string, string>, after: Map<string, string>, times: Record<string, number>, at: number) {
  const next: Record<string, number> = {};
  for (const [path, value] of after) next[path] = before.get(path) === value ? (times[path] ?? at) : at;
  return next;
}

function read(index: Index, deviceId: string): Row | undefined {
  return index.statement('SELECT * FROM twin_states WHERE device_id = ?').get(deviceIdKey(deviceId)) as Row | undefined;
}

/**
 * The twin's state document (an empty one at version 0 before the first write).
 *
 * @example
 * const { desired, reported, version } = getTwinState(index, deviceId)
 */
export function getTwinState(index: Index, deviceId: string): IndexedTwinState {
  const row = read(index, deviceId);
  const iso = (times: string) =>
    Object.fromEntries(Object.entries(JSON.parse(times) as Record<string, number>).map(([k, v]) => [k, toIso(v)]));
  if (row === undefined) return { desired: {}, reported: null, version: 0, desiredTimes: {}, reportedTimes: {}, updatedAt: null };
  return {
    desired: JSON.parse(row.desired as string) as DesiredState,
    reported: row.reported === null ? null : (JSON.parse(row.reported as string) as ReportedState),
    version: Number(row.version),
    desiredTimes: iso(row.desired_times as string),
    reportedTimes: iso(row.reported_times as string),
    updatedAt: toIso(Number(row.updated_at)),
  };
}

/**
 * Replaces the desired state when the document is still at `expectedVersion`; returns the new version, or undefined
 * on a conflict (someone wrote first).
 *
 * @example
 * const version = setDesiredState(index, deviceId, desired, ifMatch, Date.now()) ?? conflict()
 */
export function setDesiredState(
  index: Index,
  deviceId: string,
  desired: DesiredState,
  expectedVersion: number,
  at: number,
): number | undefined {
  return index.transaction(() => {
    const row = read(index, deviceId);
    const version = row === undefined ? 0 : Number(row.version);
    if (version !== expectedVersion) return undefined;
    const before = leaves(row === undefined ? {} : (JSON.parse(row.desired as string) as DesiredState));
    const times = stamp(before, leaves(desired), row === undefined ? {} : JSON.parse(row.desired_times as string), at);
    index
      .statement(
        `INSERT INTO twin_states (device_id, desired, desired_times, version, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device_id) DO UPDATE SET desired = ?2, desired_times = ?3, version = ?4, updated_at = ?5`,
      )
      .run(deviceIdKey(deviceId), JSON.stringify(desired), JSON.stringify(times), version + 1, at);
    return version + 1;
  });
}

/**
 * Records what the device reports (from its signed status); returns whether anything changed.
 *
 * @example
 * setReportedState(index, deviceId, reportedFromStatus(status.body), Date.now())
 */
export function setReportedState(index: Index, deviceId: string, reported: ReportedState, at: number): boolean {
  return index.transaction(() => {
    const row = read(index, deviceId);
    const previous = row?.reported == null ? null : (JSON.parse(row.reported as string) as ReportedState);
    if (JSON.stringify(previous) === JSON.stringify(reported)) return false;
    const times = stamp(leaves(previous), leaves(reported), row === undefined ? {} : JSON.parse(row.reported_times as string), at);
    index
      .statement(
        `INSERT INTO twin_states (device_id, reported, reported_times, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_id) DO UPDATE SET reported = ?2, reported_times = ?3, updated_at = ?4`,
      )
      .run(deviceIdKey(deviceId), JSON.stringify(reported), JSON.stringify(times), at);
    return true;
  });
}
