import type { ActuatorAction, Capabilities } from '../../../twin-core/src/messages/command';
import type { DesiredState } from '../../../twin-core/src/messages/stateDocument';
import { actionFor } from '../../../twin-core/src/messages/stateRules';

/**
 * Applies a desired state with a device's own handlers: the intervals at once, then each actuator brought to its
 * desired state through its driver. Answers what was applied, with the version.
 *
 * @example
 * await applyState(args, { setIntervals, actuate: actuators.actuate, capabilities })
 */
export async function applyState(
  args: { desired: DesiredState; version: number },
  device: {
    /** Applies the intervals and answers those now in force. */
    setIntervals: (intervals: NonNullable<DesiredState['intervals']>) => { intervals: Record<string, number> };
    actuate: (name: string, action: ActuatorAction) => Promise<Record<string, unknown>>;
    capabilities: () => Capabilities;
  },
): Promise<Record<string, unknown>> {
  const applied: Record<string, unknown> = {};
  if (args.desired.intervals !== undefined && Object.keys(args.desired.intervals).length > 0)
    applied.intervals = device.setIntervals(args.desired.intervals).intervals;
  const actuators: Record<string, unknown> = {};
  for (const [name, wanted] of Object.entries(args.desired.actuators ?? {})) {
    const actuator = device.capabilities().actuators.find((item) => item.name === name);
    if (actuator === undefined) throw new Error(`no actuator "${name}"`);
    actuators[name] = ((await device.actuate(name, actionFor(actuator.type, wanted))) as { state: unknown }).state;
  }
  if (Object.keys(actuators).length > 0) applied.actuators = actuators;
  return { version: args.version, applied };
}
