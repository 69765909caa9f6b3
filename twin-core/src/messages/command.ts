import { z } from 'zod';
import {
  ACTUATOR_NAME_PATTERN,
  ACTUATOR_TYPE_NAMES,
  BUILTIN_COMMANDS,
  checkCommandArguments,
  SNAPSHOT_PROBES,
  namesAnInterval,
  resendRangeIssue,
  SET_INTERVALS_MESSAGE,
  type ActuatorType,
  type BuiltinCommand,
} from './commandRules';
import { applyStateArgumentsSchema } from './stateDocument';

// The constants and plain functions (built-in commands, actuator types, limits, the argument check's logic) are in
// commandRules.ts, zod-free for the device; re-exported here.
export {
  ACTUATOR_NAME_PATTERN,
  ACTUATOR_TYPE_NAMES,
  BUILTIN_COMMANDS,
  COMMAND_STATUSES,
  MAX_COMMAND_BYTES,
  MAX_COMMAND_TTL_SECONDS,
  MAX_RESEND_RANGE,
  SNAPSHOT_PROBES,
  type SnapshotProbe,
  type ActuatorType,
  type BuiltinCommand,
  type CommandStatus,
} from './commandRules';

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');

/** The arguments of each built-in command. */
export const BUILTIN_COMMAND_ARGUMENTS = {
  'collect-snapshot': z.strictObject({}),
  'publish-static': z.strictObject({}),
  'set-intervals': z
    .strictObject({
      snapshotSeconds: z.number().min(5).max(86_400).optional(),
      telemetrySeconds: z.number().min(0.5).max(3_600).optional(),
    })
    .refine(namesAnInterval, { message: SET_INTERVALS_MESSAGE }),
  ping: z.strictObject({}),
  'apply-state': applyStateArgumentsSchema,
  resend: z
    .strictObject({
      fromSeq: z
        .number()
        .int()
        .min(0)
        .max(Number.MAX_SAFE_INTEGER)
        .describe('The first sequence number to publish again'),
      toSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('The last one (at most 10,000 in all)'),
    })
    .superRefine((value, context) => {
      const issue = resendRangeIssue(value);
      if (issue !== undefined) context.addIssue({ code: 'custom', message: issue, path: ['toSeq'] });
    }),
} as const satisfies Record<BuiltinCommand, z.ZodType>;

/**
 * The actuator types a device may declare, each with the actions it takes (the open catalogue: a device declaring
 * a `light` actuator named `light` accepts the command `light` with `{"action":"turn_on","brightness":75}`). Levels
 * (brightness, speed) are percentages; an actuator's state is whether it is on and its level.
 */
export const ACTUATOR_TYPES = {
  switch: z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('turn_on') }),
    z.strictObject({ action: z.literal('turn_off') }),
  ]),
  light: z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('turn_on'), brightness: z.number().int().min(0).max(100).optional() }),
    z.strictObject({ action: z.literal('turn_off') }),
  ]),
  fan: z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('turn_on'), speed: z.number().int().min(0).max(100).optional() }),
    z.strictObject({ action: z.literal('turn_off') }),
  ]),
} as const satisfies Record<ActuatorType, z.ZodType>;
/** An action on an actuator, e.g. `{ action: 'turn_on', brightness: 75 }`. */
export type ActuatorAction = z.output<(typeof ACTUATOR_TYPES)[ActuatorType]>;

/** An actuator's name: the command that drives it. Never a built-in command's name. */
export const actuatorNameSchema = z
  .string()
  .regex(ACTUATOR_NAME_PATTERN, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter')
  .refine((name) => !(BUILTIN_COMMANDS as readonly string[]).includes(name), 'must not be a built-in command');

/** An actuator's state as the device reports it (read back from its driver). */
export const actuatorStateSchema = z.strictObject({
  on: z.boolean(),
  /** Brightness or speed, percent; null for a switch. */
  level: z.number().min(0).max(100).nullable(),
});
export type ActuatorState = z.output<typeof actuatorStateSchema>;

/** What a device can be commanded to do: the built-in commands it obeys, and its actuators with their state. */
export const capabilitiesSchema = z.strictObject({
  commands: z.array(z.enum(BUILTIN_COMMANDS)).max(BUILTIN_COMMANDS.length),
  actuators: z
    .array(
      z.strictObject({
        name: actuatorNameSchema,
        type: z.enum(ACTUATOR_TYPE_NAMES),
        /** The driver behind it: `gpio` (a Linux GPIO line), `memory` (no hardware) or `simulated`. */
        driver: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
        state: actuatorStateSchema,
      }),
    )
    .max(32),
  /** The snapshot probes the device can switch on or off through `desired.probes`; absent: none. */
  probes: z.array(z.enum(SNAPSHOT_PROBES)).max(SNAPSHOT_PROBES.length).optional(),
  /** Whether the device samples its sensors at `desired.intervals.sensorSeconds`; absent: it does not. */
  sensorSampling: z.boolean().optional(),
});
export type Capabilities = z.output<typeof capabilitiesSchema>;

/** A command's name: a built-in command or the name of one of the device's actuators. */
export const commandNameSchema = z.union([z.enum(BUILTIN_COMMANDS), actuatorNameSchema]);

/**
 * `twins/{deviceId}/command`: a command signed (EIP-712, {@link hashCommand}) by the twin's current owner. The
 * device acts on it only when the signer is the owner it knows (from the oracle's signed twin record or the chain),
 * `expiry` is in the future and `nonce` was never seen; the API checks the same before publishing. The command's ID
 * is its EIP-712 digest.
 */
export const signedCommandSchema = z
  .strictObject({
    v: z.literal(1),
    kind: z.literal('command'),
    deviceId: bytes32.describe('The DeviceID, as in the topic'),
    command: commandNameSchema.describe('A built-in command or the name of an actuator the device declares'),
    args: z
      .record(z.string().max(64), z.unknown())
      .describe("The command's arguments (an actuator's action); signed as their RFC 8785 canonical JSON"),
    nonce: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,76})$/, 'must be a decimal uint256 without leading zeros')
      .describe('Chosen by the signer, never reused for the device (a random 64-bit number is enough)'),
    expiry: z
      .number()
      .int()
      .positive()
      .max(2 ** 40)
      .describe('Unix time, seconds, after which the command must not run'),
    sig: z
      .string()
      .regex(/^0x[0-9a-f]{130}$/, 'must be a 65-byte signature as 0x + 130 lower-case hex digits')
      .describe("EIP-712 signature (r ‖ s ‖ v, low s) by the twin's owner: see `commandTypedData`"),
  })
  .describe("A command signed by the twin's owner (EIP-712)");
export type SignedCommand = z.output<typeof signedCommandSchema>;
export type UnsignedCommand = Omit<SignedCommand, 'sig'>;

/** The body of a device's answer to a command. */
export const commandReplyBodySchema = z.discriminatedUnion('status', [
  z.strictObject({ commandId: bytes32, status: z.literal('delivered') }),
  z.strictObject({
    commandId: bytes32,
    status: z.literal('succeeded'),
    result: z.record(z.string().max(64), z.unknown()),
  }),
  z.strictObject({
    commandId: bytes32,
    status: z.literal('failed'),
    error: z.strictObject({ code: z.string().max(64), message: z.string().max(500) }),
  }),
]);
export type CommandReplyBody = z.output<typeof commandReplyBodySchema>;

/**
 * `twins/{deviceId}/reply` (also the MQTT 5 response topic, with the command's correlation data; no other): the
 * device's acknowledgement and answer to a command, in the device envelope, signed by the device key (EIP-191).
 */
export const commandReplySchema = z
  .strictObject({
    v: z.literal(1),
    kind: z.literal('reply'),
    deviceId: bytes32,
    seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    ts: z.iso.datetime(),
    body: commandReplyBodySchema,
    sig: z.string().regex(/^0x[0-9a-f]{130}$/),
  })
  .describe("The device's answer to a command, signed by the device key");
export type CommandReply = z.output<typeof commandReplySchema>;

/** zod's issues as `args.path: message` lines, unknown keys listed. */
function zodArgumentIssues(schema: z.ZodType, args: unknown): string[] {
  const parsed = schema.safeParse(args);
  if (parsed.success) return [];
  return parsed.error.issues.map(
    (issue) =>
      `args${issue.path.map((part) => `.${String(part)}`).join('')}: ${issue.message}${
        issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : ''
      }`,
  );
}

/** The argument checks of {@link commandArgumentIssues}: the zod schemas above. */
const ZOD_ARGUMENT_CHECKS = {
  builtin: (command: BuiltinCommand, args: unknown) => zodArgumentIssues(BUILTIN_COMMAND_ARGUMENTS[command], args),
  actuator: (type: ActuatorType, args: unknown) => zodArgumentIssues(ACTUATOR_TYPES[type], args),
};

/**
 * Checks a command's arguments against what the device declares: a built-in command's own schema, or the action
 * schema of the actuator of that name (commandRules.ts's `checkCommandArguments` with the zod schemas; the device
 * uses its generated validators). Returns the problems, each naming the field (empty when valid).
 *
 * @example
 * commandArgumentIssues('light', { action: 'turn_on', brightness: 75 }, capabilities) // []
 */
export function commandArgumentIssues(
  command: string,
  args: unknown,
  capabilities: Capabilities | undefined,
): string[] {
  return checkCommandArguments(command, args, capabilities, ZOD_ARGUMENT_CHECKS);
}
