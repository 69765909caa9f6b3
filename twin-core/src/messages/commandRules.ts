import type { Capabilities } from './command';
import type { DesiredState } from './stateDocument';
import { desiredStateIssues } from './stateRules';

// The rules of signed commands that need no zod (issue 17): the device imports this module, the zod schemas of
// command.ts are built from it. One source of truth for both.

/**
 * The commands every agent obeys, whatever it declares: none runs code on the device and each is safe to repeat:
 * collect and publish a snapshot now, republish the static document, change the publishing intervals within bounds
 * (at once: the timers are rescheduled), answer a ping with an `online` status, apply a desired state (the
 * state document's `PUT /twins/{id}/state`: intervals and actuators), or publish again the messages of a range of
 * sequence numbers it still holds (`resend`: heals what the oracle lost, e.g. when a broker dropped its queue).
 */
export const BUILTIN_COMMANDS = [
  'collect-snapshot',
  'publish-static',
  'set-intervals',
  'ping',
  'apply-state',
  'resend',
] as const;
export type BuiltinCommand = (typeof BUILTIN_COMMANDS)[number];

/** The actuator types a device may declare (their actions: `ACTUATOR_TYPES` in command.ts). */
export const ACTUATOR_TYPE_NAMES = ['switch', 'light', 'fan'] as const;
export type ActuatorType = (typeof ACTUATOR_TYPE_NAMES)[number];

/**
 * The snapshot probes a desired state may switch on or off (`desired.probes`), by the snapshot section each fills
 * (`dnsConfig` is `dns.config`). A device declares those it can switch in `capabilities.probes`; a probe switched off
 * leaves its section unavailable ("disabled by the desired state") instead of read.
 */
export const SNAPSHOT_PROBES = [
  'system',
  'processes',
  'memory',
  'disks',
  'filesystems',
  'kernelLog',
  'usb',
  'pci',
  'activity',
  'ipc',
  'network',
  'sharedLibraries',
  'icmp',
  'arp',
  'dnsConfig',
  'dnsCache',
  'dnsServers',
  'tls',
  'sensors',
  'networkBehaviour',
  'traffic',
  'conntrack',
  'plugAndPlay',
  'processorPerformance',
] as const;
export type SnapshotProbe = (typeof SNAPSHOT_PROBES)[number];

/** An actuator's name (the command that drives it): 1-32 of a-z, 0-9, _ and -, starting with a letter. */
export const ACTUATOR_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** Longest a command may stay valid, seconds: what bounds every party's replay set (1 hour). */
export const MAX_COMMAND_TTL_SECONDS = 3_600;
/** Largest command payload a device reads, bytes. */
export const MAX_COMMAND_BYTES = 4_096;

/** A command's state as the API tracks it: `pending` until the device acknowledges, then its answer or expiry. */
export const COMMAND_STATUSES = ['pending', 'delivered', 'succeeded', 'failed', 'expired'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** What `set-intervals` must name beyond its fields' bounds: at least one interval. */
export const SET_INTERVALS_MESSAGE = 'name snapshotSeconds, telemetrySeconds or both';

/**
 * Whether `set-intervals` arguments name an interval (the refinement JSON Schema cannot say).
 *
 * @example
 * namesAnInterval({ snapshotSeconds: 60 }) // true
 */
export function namesAnInterval(value: {
  snapshotSeconds?: number | undefined;
  telemetrySeconds?: number | undefined;
}): boolean {
  return value.snapshotSeconds !== undefined || value.telemetrySeconds !== undefined;
}

/** Most sequence numbers one `resend` may name (`toSeq - fromSeq + 1`). */
export const MAX_RESEND_RANGE = 10_000;

/**
 * What is wrong with `resend` arguments beyond their fields' bounds (the refinement JSON Schema cannot say): `toSeq`
 * below `fromSeq`, or a range wider than {@link MAX_RESEND_RANGE}. Undefined when right.
 *
 * @example
 * resendRangeIssue({ fromSeq: 10, toSeq: 5 }) // 'toSeq must be at least fromSeq'
 */
export function resendRangeIssue(value: { fromSeq: number; toSeq: number }): string | undefined {
  if (value.toSeq < value.fromSeq) return 'toSeq must be at least fromSeq';
  if (value.toSeq - value.fromSeq + 1 > MAX_RESEND_RANGE)
    return `the range may name at most ${MAX_RESEND_RANGE} sequence numbers`;
  return undefined;
}

/**
 * How a command's arguments are checked against their schema: each answers the problems as `args.path: message`
 * lines (empty when valid). zod's schemas (command.ts) or the device's generated validators.
 */
export type CommandArgumentChecks = {
  builtin: (command: BuiltinCommand, args: unknown) => string[];
  actuator: (type: ActuatorType, args: unknown) => string[];
};

/**
 * Checks a command's arguments against what the device declares, with `checks` for the schemas: a built-in
 * command's own schema, or the action schema of the actuator of that name; for `apply-state`, the desired state
 * against the device's capabilities too. Returns the problems, each naming the field (empty when valid).
 *
 * @example
 * checkCommandArguments('light', { action: 'turn_on', brightness: 75 }, capabilities, checks) // []
 */
export function checkCommandArguments(
  command: string,
  args: unknown,
  capabilities: Capabilities | undefined,
  checks: CommandArgumentChecks,
): string[] {
  if (!(BUILTIN_COMMANDS as readonly string[]).includes(command)) {
    const actuator = capabilities?.actuators.find((item) => item.name === command);
    if (actuator === undefined)
      return [
        capabilities === undefined
          ? `command: the device has declared no capabilities, so "${command}" is unknown`
          : `command: the device declares no actuator "${command}" (it has: ${
              capabilities.actuators.map((item) => item.name).join(', ') || 'none'
            })`,
      ];
    return checks.actuator(actuator.type, args);
  }
  const builtin = command as BuiltinCommand;
  if (capabilities !== undefined && !capabilities.commands.includes(builtin))
    return [`command: the device does not declare "${command}"`];
  const issues = checks.builtin(builtin, args);
  if (issues.length > 0 || builtin !== 'apply-state') return issues;
  return desiredStateIssues((args as { desired: DesiredState }).desired, capabilities).map((issue) => `args.${issue}`);
}
