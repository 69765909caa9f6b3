import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import type { DesiredState, ReportedState } from '../../../twin-core/src/messages/stateDocument';
import { deviceIdKey } from '../values';
import type { Transaction } from '../pool/types';

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

/** A `twin_states` row as the store returns it (jsonb parsed; the times maps hold milliseconds). */
export type TwinStateRow = {
  desired: DesiredState;
  desired_times: Record<string, number>;
  reported: ReportedState | null;
  reported_times: Record<string, number>;
  version: number;
  updated_at: Date;
};

const COLUMNS = 'desired, desired_times, reported, reported_times, version, updated_at';

/**
 * The row of `deviceId`, or undefined; `lock` locks it until the transaction ends (`FOR UPDATE`, the current
 * version read after any other writer commits).
 *
 * @example
 * const row = await readTwinState(tx, deviceId, { lock: true })
 */
export async function readTwinState(
  db: Pick<Transaction, 'query'>,
  deviceId: string,
  options: { lock?: boolean } = {},
): Promise<TwinStateRow | undefined> {
  const { rows } = await db.query<TwinStateRow>(
    options.lock === true
      ? { name: 'store.twinStates.lock', text: `SELECT ${COLUMNS} FROM twin_states WHERE device_id = $1 FOR UPDATE` }
      : { name: 'store.twinStates.get', text: `SELECT ${COLUMNS} FROM twin_states WHERE device_id = $1` },
    [deviceIdKey(deviceId)],
  );
  return rows[0];
}

/**
 * Field paths of a state, one level under `intervals` and `actuators`, with their canonical JSON values (jsonb does
 * not keep member order, so values are compared in canonical form).
 *
 * @example
 * leaves({ intervals: { telemetrySeconds: 5 } }) // Map { 'intervals.telemetrySeconds' => '5' }
 */
export function leaves(state: DesiredState | ReportedState | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [group, value] of Object.entries(state ?? {}))
    for (const [key, leaf] of Object.entries((value ?? {}) as Record<string, unknown>))
      out.set(`${group}.${key}`, canonicalJson(leaf));
  return out;
}

/**
 * The change times of `after`'s fields: kept from `times` where the value is unchanged, else `at`.
 *
 * @example
 * stamp(leaves(before), leaves(after), row.desired_times, Date.now())
 */
export function stamp(
  before: Map<string, string>,
  after: Map<string, string>,
  times: Record<string, number>,
  at: number,
): Record<string, number> {
  const next: Record<string, number> = {};
  for (const [path, value] of after) next[path] = before.get(path) === value ? times[path] ?? at : at;
  return next;
}

/**
 * Whether two states are the same, member order aside.
 *
 * @example
 * sameState(row.reported, reported)
 */
export function sameState(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}
