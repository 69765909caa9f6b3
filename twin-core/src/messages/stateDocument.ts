import { z } from 'zod';
import type { ActuatorAction, Capabilities } from './command';
import type { StatusBody } from './envelope';

/**
 * The desired state of a twin (issue 16's state document): what the owner wants the device to be, in the terms the
 * device declares in its capabilities: its publishing intervals and its actuators' state.
 */
/** An actuator's name, as `command.ts` has it (kept here too: command.ts imports this module). */
const actuatorName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter');

export const desiredStateSchema = z.strictObject({
  intervals: z
    .strictObject({
      snapshotSeconds: z.number().min(5).max(86_400).optional(),
      telemetrySeconds: z.number().min(0.5).max(3_600).optional(),
    })
    .optional(),
  actuators: z
    .record(actuatorName, z.strictObject({ on: z.boolean(), level: z.number().int().min(0).max(100).optional() }))
    .optional(),
});
export type DesiredState = z.output<typeof desiredStateSchema>;

/** What the device reports it is, in the same shape (from its latest signed `online` status). */
export type ReportedState = {
  intervals?: { snapshotSeconds: number; telemetrySeconds: number };
  actuators?: Record<string, { on: boolean; level?: number }>;
};

/** The arguments of the built-in `apply-state` command: the desired state, at the document version it makes. */
export const applyStateArgumentsSchema = z.strictObject({
  desired: desiredStateSchema,
  version: z.number().int().positive(),
});

/**
 * The reported state a device's `online` status says (its intervals, and each actuator's state read back).
 *
 * @example
 * reportedFromStatus(status.body) // { intervals: { … }, actuators: { fan: { on: true, level: 60 } } }
 */
export function reportedFromStatus(body: StatusBody): ReportedState | undefined {
  if (body.state !== 'online') return undefined;
  const reported: ReportedState = { intervals: { ...body.intervals } };
  if (body.capabilities !== undefined)
    reported.actuators = Object.fromEntries(
      body.capabilities.actuators.map((actuator) => [
        actuator.name,
        actuator.state.level === null ? { on: actuator.state.on } : { on: actuator.state.on, level: actuator.state.level },
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
  for (const [name, wanted] of Object.entries(desired.actuators ?? {})) {
    const actuator = capabilities?.actuators.find((item) => item.name === name);
    if (actuator === undefined) issues.push(`desired.actuators.${name}: the device declares no such actuator`);
    else if (actuator.type === 'switch' && wanted.level !== undefined)
      issues.push(`desired.actuators.${name}.level: a switch has no level`);
  }
  return issues;
}

/**
 * The action that brings an actuator of `type` to a desired state.
 *
 * @example
 * actionFor('fan', { on: true, level: 60 }) // { action: 'turn_on', speed: 60 }
 */
export function actionFor(type: 'switch' | 'light' | 'fan', wanted: { on: boolean; level?: number }): ActuatorAction {
  if (!wanted.on) return { action: 'turn_off' };
  if (type === 'light') return wanted.level === undefined ? { action: 'turn_on' } : { action: 'turn_on', brightness: wanted.level };
  if (type === 'fan') return wanted.level === undefined ? { action: 'turn_on' } : { action: 'turn_on', speed: wanted.level };
  return { action: 'turn_on' };
}
