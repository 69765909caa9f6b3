import { z } from 'zod';
import { staticDocumentSchema } from '../static/schema';
import { snapshotBodySchema } from './snapshot';
import { telemetryBodySchema } from './telemetry';
import { capabilitiesSchema } from './command';
import { SNAPSHOT_PROBES } from './commandRules';

export { DEVICE_MESSAGE_KINDS, MESSAGE_SCHEMA_VERSION, type DeviceMessageKind } from './kinds';
import { DEVICE_MESSAGE_KINDS, MESSAGE_SCHEMA_VERSION, type DeviceMessageKind } from './kinds';

/**
 * `twins/{deviceId}/status`, retained. `online` names its intervals and capabilities and announces `willSeq`: the sequence number of the signed `offline`
 * last-will message the broker publishes if the device drops, so a receiver accepts that one lower number (null
 * when there is no will, as for simulated devices sharing one connection).
 */
export const statusBodySchema = z.discriminatedUnion('state', [
  z.strictObject({
    state: z.literal('online'),
    agentVersion: z.string().max(32),
    willSeq: z.number().int().nonnegative().nullable(),
    intervals: z.strictObject({
      snapshotSeconds: z.number().positive(),
      telemetrySeconds: z.number().positive(),
      /** How often telemetry reads the sensors, when the device samples them on their own period. */
      sensorSeconds: z.number().positive().optional(),
    }),
    /** Which of the switchable snapshot probes (capabilities.probes) run now. */
    probes: z
      .strictObject(Object.fromEntries(SNAPSHOT_PROBES.map((probe) => [probe, z.boolean().optional()])))
      .optional(),
    /** What the device can be commanded to do (its built-in commands and actuators with their state). */
    capabilities: capabilitiesSchema.optional(),
  }),
  z.strictObject({ state: z.literal('offline'), reason: z.enum(['shutdown', 'connection-lost']) }),
]);
export type StatusBody = z.output<typeof statusBodySchema>;

const deviceIdHex = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits')
  .describe('The DeviceID: 0x + 64 lower-case hex digits, as in the topic');
const signature = z
  .string()
  .regex(/^0x[0-9a-f]{130}$/, 'must be a 65-byte signature as 0x + 130 lower-case hex digits')
  .describe(
    'EIP-191 signature (r ‖ s ‖ v, v = 27 or 28, s in the lower half of the curve order) by the device key over ' +
      'keccak256 of the RFC 8785 canonical JSON of the message without `sig`',
  );

const version = z.literal(MESSAGE_SCHEMA_VERSION).describe('Message schema version');
/** Strictly increasing per device across every kind, persisted across restarts. */
const sequence = z
  .number()
  .int()
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER)
  .describe(
    'Sequence number: increasing per device and kind (one counter for every kind is simplest), kept across restarts',
  );
/** When the device produced the message (ISO 8601, UTC). */
const time = z.iso
  .datetime()
  .describe('When the device produced the message: ISO 8601 in UTC with a Z, e.g. 2026-01-01T00:00:00.000Z');

function envelope<kind extends DeviceMessageKind, body extends z.ZodType>(kind: kind, body: body) {
  return z.strictObject({
    v: version,
    kind: z.literal(kind).describe('The message kind, as the last topic level'),
    deviceId: deviceIdHex,
    seq: sequence,
    ts: time,
    body,
    /** EIP-191 signature by the device key over {@link hashDeviceMessage} of everything else. */
    sig: signature,
  });
}

/**
 * The envelope of any device message with its body only required to be an object: the fields every kind shares,
 * checked without the (possibly large) body, so that a receiver can refuse what is plainly not a device message
 * before storing anything. A message that passes still has to pass {@link deviceMessageSchema}.
 *
 * @example
 * deviceEnvelopeSchema.safeParse(JSON.parse(payload)).success
 */
export const deviceEnvelopeSchema = z.strictObject({
  v: version,
  kind: z.enum(DEVICE_MESSAGE_KINDS),
  deviceId: deviceIdHex,
  seq: sequence,
  ts: time,
  body: z.custom<object>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be an object',
  ),
  sig: signature,
});
export type DeviceEnvelope = z.output<typeof deviceEnvelopeSchema>;

export const staticMessageSchema = envelope('static', staticDocumentSchema);
export const snapshotMessageSchema = envelope('snapshot', snapshotBodySchema);
export const telemetryMessageSchema = envelope('telemetry', telemetryBodySchema);
export const statusMessageSchema = envelope('status', statusBodySchema);

/** Any signed device message, told apart by `kind`. */
export const deviceMessageSchema = z.discriminatedUnion('kind', [
  staticMessageSchema,
  snapshotMessageSchema,
  telemetryMessageSchema,
  statusMessageSchema,
]);
export type DeviceMessage = z.output<typeof deviceMessageSchema>;
export type StaticMessage = z.output<typeof staticMessageSchema>;
export type SnapshotMessage = z.output<typeof snapshotMessageSchema>;
export type TelemetryMessage = z.output<typeof telemetryMessageSchema>;
export type StatusMessage = z.output<typeof statusMessageSchema>;

/** A message before signing. */
export type UnsignedDeviceMessage = DistributiveOmit<DeviceMessage, 'sig'>;
type DistributiveOmit<type, key extends PropertyKey> = type extends unknown ? Omit<type, key> : never;

/** The schema of each kind's message. */
export const DEVICE_MESSAGE_SCHEMAS = {
  static: staticMessageSchema,
  snapshot: snapshotMessageSchema,
  telemetry: telemetryMessageSchema,
  status: statusMessageSchema,
} as const;
