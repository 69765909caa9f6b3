import { z } from 'zod';
import { ACTUATOR_NAME_PATTERN, SNAPSHOT_PROBES } from './commandRules';

// The plain functions over desired states (reportedFromStatus, stateDelta, desiredStateIssues, actionFor) are in
// stateRules.ts, zod-free for the device; re-exported here.
export { actionFor, desiredStateIssues, reportedFromStatus, stateDelta, type ReportedState } from './stateRules';

/**
 * The desired state of a twin (issue 16's state document): what the owner wants the device to be, in the terms the
 * device declares in its capabilities: its publishing intervals, how often it samples its sensors, which snapshot
 * probes run, and its actuators' state.
 */
/** An actuator's name, as `command.ts` has it (the pattern is shared; command.ts imports this module). */
const actuatorName = z
  .string()
  .regex(ACTUATOR_NAME_PATTERN, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter');

export const desiredStateSchema = z.strictObject({
  intervals: z
    .strictObject({
      snapshotSeconds: z.number().min(5).max(86_400).optional(),
      telemetrySeconds: z.number().min(0.5).max(3_600).optional(),
      /** How often telemetry reads the sensors (capabilities.sensorSampling); the ticks between carry no readings. */
      sensorSeconds: z.number().min(0.5).max(86_400).optional(),
    })
    .optional(),
  /** Which snapshot probes run (capabilities.probes): `false` leaves the probe's section unavailable. */
  probes: z
    .strictObject(Object.fromEntries(SNAPSHOT_PROBES.map((probe) => [probe, z.boolean().optional()])))
    .optional(),
  actuators: z
    .record(actuatorName, z.strictObject({ on: z.boolean(), level: z.number().int().min(0).max(100).optional() }))
    .optional(),
});
export type DesiredState = z.output<typeof desiredStateSchema>;

/** The arguments of the built-in `apply-state` command: the desired state, at the document version it makes. */
export const applyStateArgumentsSchema = z.strictObject({
  desired: desiredStateSchema,
  version: z.number().int().positive(),
});
