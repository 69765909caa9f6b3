import type { ActuatorAction, Capabilities } from './command';
import type { StatusBody } from './envelope';
import type { DesiredState } from './stateDocument';
import type { ActuatorType } from './commandRules';

// The state document's rules that need no zod (issue 17): the device applies desired states with them, the API
// compares and checks them; the zod schemas are in stateDocument.ts.

/** What the device reports it is, in the same shape (from its latest signed `online` status). */
export type ReportedState = {
  intervals?: { snapshotSeconds: number; telemetrySeconds: number; sensorSeconds?: number };
  probes?: Record<string, boolean | undefined>;
  actuators?: Record<string, { on: boolean; level?: number }>;
};

/**
 * The reported state a device's `online` status says (its intervals, and each actuator's state read back).
 *
 * @example
 * reportedFromStatus(status.body) // { intervals: { … }, actuators: { fan: { on: true, level: 60 } } }
 */
export function reportedFromStatus(body: StatusBody): ReportedState | undefined {
  if (body.state !== 'online') return undefined;
  const reported: ReportedState = { intervals: { ...body.intervals } };
  if (body.probes !== undefined) reported.probes = { ...body.probes };
  if (body.capabilities !== undefined)
    reported.actuators = Object.fromEntries(
      body.capabilities.actuators.map((actuator) => [
        actuator.name,
        actuator.state.level === null
          ? { on: actuator.state.on }
          : { on: actuator.state.on, level: actuator.state.level },
      ]),
    );
  return reported;
}

/**
 * The fields of `desired` the device does not (yet) report with the same value: empty when they agree.
 *
 * @example
 * stateDelta({ actuators: { fan: { on: true, level: 60 } } }, reported) // {} once the fan runs at 60 %
 */
export function stateDelta(desired: DesiredState, reported: ReportedState | undefined): DesiredState {
  const delta: DesiredState = {};
  for (const [key, value] of Object.entries(desired.intervals ?? {}))
    if (value !== undefined && reported?.intervals?.[key as 'snapshotSeconds'] !== value)
      (delta.intervals ??= {})[key as 'snapshotSeconds'] = value;
  for (const [probe, wanted] of Object.entries(desired.probes ?? {}))
    if (wanted !== undefined && reported?.probes?.[probe] !== wanted) (delta.probes ??= {})[probe] = wanted;
  for (const [name, wanted] of Object.entries(desired.actuators ?? {})) {
    const actual = reported?.actuators?.[name];
    const levelDiffers = wanted.on && wanted.level !== undefined && actual?.level !== wanted.level;
    if (actual === undefined || actual.on !== wanted.on || levelDiffers) (delta.actuators ??= {})[name] = wanted;
  }
  return delta;
}

/**
 * Checks a desired state against what the device declares: each problem names the field (`desired.actuators.heater`).
 *
 * @example
 * desiredStateIssues({ actuators: { heater: { on: true } } }, capabilities) // ['desired.actuators.heater: …']
 */
export function desiredStateIssues(desired: DesiredState, capabilities: Capabilities | undefined): string[] {
  const issues: string[] = [];
  if (desired.intervals !== undefined && capabilities !== undefined && !capabilities.commands.includes('set-intervals'))
    issues.push('desired.intervals: the device does not declare set-intervals');
  if (desired.intervals?.sensorSeconds !== undefined && capabilities?.sensorSampling !== true)
    issues.push('desired.intervals.sensorSeconds: the device does not declare sensor sampling');
  for (const probe of Object.keys(desired.probes ?? {}))
    if (!(capabilities?.probes ?? []).includes(probe as never))
      issues.push(
        `desired.probes.${probe}: the device cannot switch this probe (it can: ${
          capabilities?.probes?.join(', ') || 'none'
        })`,
      );
  for (const [name, wanted] of Object.entries(desired.actuators ?? {})) {
    const actuator = capabilities?.actuators.find((item) => item.name === name);
    if (actuator === undefined) issues.push(`desired.actuators.${name}: the device declares no such actuator`);
    else if (actuator.type === 'switch' && wanted.level !== undefined)
      issues.push(`desired.actuators.${name}.level: a switch has no level`);
  }
  return issues;
}

/**
 * A desired state with `patch` merged in, group by group (intervals, probes, actuators) and field by field: what a
 * PATCH of the state document stores, and what a device holds after applying one desired state after another.
 *
 * @example
 * mergeDesired({ intervals: { telemetrySeconds: 1 } }, { probes: { usb: false } }) // both
 */
export function mergeDesired(current: DesiredState, patch: DesiredState): DesiredState {
  const merged: DesiredState = { ...current };
  for (const group of ['intervals', 'probes', 'actuators'] as const)
    if (patch[group] !== undefined) Object.assign(merged, { [group]: { ...current[group], ...patch[group] } });
  return merged;
}

/**
 * The action that brings an actuator of `type` to a desired state.
 *
 * @example
 * actionFor('fan', { on: true, level: 60 }) // { action: 'turn_on', speed: 60 }
 */
export function actionFor(type: ActuatorType, wanted: { on: boolean; level?: number }): ActuatorAction {
  if (!wanted.on) return { action: 'turn_off' };
  if (type === 'light')
    return wanted.level === undefined ? { action: 'turn_on' } : { action: 'turn_on', brightness: wanted.level };
  if (type === 'fan')
    return wanted.level === undefined ? { action: 'turn_on' } : { action: 'turn_on', speed: wanted.level };
  return { action: 'turn_on' };
}
