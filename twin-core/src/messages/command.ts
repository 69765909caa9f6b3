import { z } from 'zod';
import { applyStateArgumentsSchema, desiredStateIssues } from './stateDocument';

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');

/**
 * The commands every agent obeys, whatever it declares: none runs code on the device and each is safe to repeat:
 * collect and publish a snapshot now, republish the static document, change the publishing intervals within bounds
 * (at once: the timers are rescheduled), answer a ping with an `online` status, or apply a desired state (the
 * state document's `PUT /twins/{id}/state`: intervals and actuators).
 */
export const BUILTIN_COMMANDS = ['collect-snapshot', 'publish-static', 'set-intervals', 'ping', 'apply-state'] as const;
export type BuiltinCommand = (typeof BUILTIN_COMMANDS)[number];

/** The arguments of each built-in command. */
export const BUILTIN_COMMAND_ARGUMENTS = {
  'collect-snapshot': z.strictObject({}),
  'publish-static': z.strictObject({}),
  'set-intervals': z
    .strictObject({
      snapshotSeconds: z.number().min(5).max(86_400).optional(),
      telemetrySeconds: z.number().min(0.5).max(3_600).optional(),
    })
    .refine((value) => value.snapshotSeconds !== undefined || value.telemetrySeconds !== undefined, {
      message: 'name snapshotSeconds, telemetrySeconds or both',
    }),
  ping: z.strictObject({}),
  'apply-state': applyStateArgumentsSchema,
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
} as const;
export type ActuatorType = keyof typeof ACTUATOR_TYPES;
export const ACTUATOR_TYPE_NAMES = Object.keys(ACTUATOR_TYPES) as [ActuatorType, ...ActuatorType[]];
/** An action on an actuator, e.g. `{ action: 'turn_on', brightness: 75 }`. */
export type ActuatorAction = z.output<(typeof ACTUATOR_TYPES)[ActuatorType]>;

/** An actuator's name: the command that drives it. Never a built-in command's name. */
export const actuatorNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter')
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
});
export type Capabilities = z.output<typeof capabilitiesSchema>;

/** A command's name: a built-in command or the name of one of the device's actuators. */
export const commandNameSchema = z.union([z.enum(BUILTIN_COMMANDS), actuatorNameSchema]);

/** Longest a command may stay valid, seconds: what bounds every party's replay set (1 hour). */
export const MAX_COMMAND_TTL_SECONDS = 3_600;
/** Largest command payload a device reads, bytes. */
export const MAX_COMMAND_BYTES = 4_096;

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

/** A command's state as the API tracks it: `pending` until the device acknowledges, then its answer or expiry. */
export const COMMAND_STATUSES = ['pending', 'delivered', 'succeeded', 'failed', 'expired'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

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
 * `twins/{deviceId}/reply` (or the MQTT 5 response topic the command named, when under `twins/{deviceId}/reply`): the
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

/**
 * Checks a command's arguments against what the device declares: a built-in command's own schema, or the action
 * schema of the actuator of that name. Returns the problems, each naming the field (empty when valid).
 *
 * @example
 * commandArgumentIssues('light', { action: 'turn_on', brightness: 75 }, capabilities) // []
 */
export function commandArgumentIssues(
  command: string,
  args: unknown,
  capabilities: Capabilities | undefined,
): string[] {
  const builtin = (BUILTIN_COMMAND_ARGUMENTS as Record<string, z.ZodType>)[command];
  let schema: z.ZodType | undefined = builtin;
  if (builtin === undefined) {
    const actuator = capabilities?.actuators.find((item) => item.name === command);
    if (actuator === undefined)
      return [
        capabilities === undefined
          ? `command: the device has declared no capabilities, so "${command}" is unknown`
          : `command: the device declares no actuator "${command}" (it has: ${
              capabilities.actuators.map((item) => item.name).join(', ') || 'none'
            })`,
      ];
    schema = ACTUATOR_TYPES[actuator.type];
  } else if (capabilities !== undefined && !capabilities.commands.includes(command as BuiltinCommand)) {
    return [`command: the device does not declare "${command}"`];
  }
  const parsed = schema.safeParse(args);
  if (parsed.success)
    return command === 'apply-state'
      ? desiredStateIssues((parsed.data as z.output<typeof applyStateArgumentsSchema>).desired, capabilities).map(
          (issue) => `args.${issue}`,
        )
      : [];
  return parsed.error.issues.map(
    (issue) =>
      `args${issue.path.map((part) => `.${String(part)}`).join('')}: ${issue.message}${
        issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : ''
      }`,
  );
}
