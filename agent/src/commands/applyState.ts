import type { ActuatorAction, Capabilities } from '../../../twin-core/src/messages/command';
import type { DesiredState } from '../../../twin-core/src/messages/stateDocument';
import { actionFor } from '../../../twin-core/src/messages/stateRules';

/**
 * Applies a desired state with a device's own handlers: the intervals (and sensor sampling) at once, which snapshot
 * probes run, then each actuator brought to its desired state through its driver. Answers what was applied, with the
 * version.
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
    /** Switches snapshot probes on or off and answers which run now (a device declaring `capabilities.probes`). */
    setProbes?: (probes: NonNullable<DesiredState['probes']>) => Record<string, boolean>;
  },
): Promise<Record<string, unknown>> {
  const applied: Record<string, unknown> = {};
  if (args.desired.intervals !== undefined && Object.keys(args.desired.intervals).length > 0)
    applied.intervals = device.setIntervals(args.desired.intervals).intervals;
  if (args.desired.probes !== undefined && Object.keys(args.desired.probes).length > 0) {
    if (device.setProbes === undefined) throw new Error('this device cannot switch probes');
    applied.probes = device.setProbes(args.desired.probes);
  }
  const actuators: Record<string, unknown> = {};
  for (const [name, wanted] of Object.entries(args.desired.actuators ?? {})) {
    const actuator = device.capabilities().actuators.find((item) => item.name === name);
    if (actuator === undefined) throw new Error(`no actuator "${name}"`);
    actuators[name] = ((await device.actuate(name, actionFor(actuator.type, wanted))) as { state: unknown }).state;
  }
  if (Object.keys(actuators).length > 0) applied.actuators = actuators;
  return { version: args.version, applied };
}
