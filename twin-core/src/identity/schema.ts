import { z } from 'zod';

import {
  isAllZeroMac,
  isNfc,
  MAC_ADDRESS_PATTERN,
  normalizeMacAddress,
  normalizeText,
  TRIMMED_PATTERN,
} from './canonical';

export { TRIMMED_PATTERN } from './canonical';

/** Identity text as the canonical identity holds it: 1..`max` characters, trimmed, Unicode NFC. */
const identityText = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(TRIMMED_PATTERN, 'must not start or end with whitespace')
    .refine(isNfc, 'must be in Unicode normalisation form NFC')
    .describe(`1 to ${max} characters, no whitespace at either end, Unicode NFC`);

/** A MAC address as the canonical identity holds it: lower-case hex pairs separated by colons, not all zeros. */
export const macAddressSchema = z
  .string()
  .regex(MAC_ADDRESS_PATTERN, 'must be a MAC address in lower-case colon form, e.g. dc:a6:32:01:02:03')
  .refine((value) => !isAllZeroMac(value), 'must not be all zeros')
  .describe('lower-case colon form, e.g. dc:a6:32:01:02:03; not all zeros');

/** The identity's fields over a text and a MAC schema: the canonical form and the lenient input share one list. */
function identityObject<text extends z.ZodType<string, string>, mac extends z.ZodType<string, string>>(
  text: (max: number) => text,
  mac: mac,
) {
  return z.strictObject({
    /** Primary network interface MAC address. */
    macAddress: mac,
    /** Board serial number (e.g. /proc/cpuinfo `Serial`). */
    serialNumber: text(64),
    /** Maker of the hardware (e.g. `Raspberry Pi Ltd`). */
    manufacturer: text(64),
    /** Hardware model (e.g. `Raspberry Pi 4 Model B`). */
    hardwareModel: text(128),
    /** Hardware revision (e.g. `1.4` or the revision code `c03114`). */
    hardwareRevision: text(64),
    /** Installed memory, in bytes (the nominal size, e.g. 4294967296 for 4 GiB). */
    memoryBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    /** Operating system name (e.g. `Raspberry Pi OS`). */
    osName: text(64),
    /** Operating system version (e.g. `12 (bookworm)`). */
    osVersion: text(64),
  });
}

/**
 * The identity parameters of a device's static information (seed 001 sections III and VIII), in canonical form: the
 * form signed messages carry and the DeviceID hashes, with no field transformed and none unknown (each refused,
 * named). Price and IP address are not identity. The contract's `DeviceIdentity` struct has the same fields in the
 * same order.
 */
export const deviceIdentitySchema = identityObject(identityText, macAddressSchema);

/**
 * The identity as tools and configs may give it (any usual MAC notation, text untrimmed or not NFC), normalised to
 * the canonical form {@link deviceIdentitySchema} checks.
 *
 * @example
 * deviceIdentityInputSchema.parse({ ...identity, macAddress: 'DC-A6-32-01-02-03' }).macAddress // 'dc:a6:32:01:02:03'
 */
export const deviceIdentityInputSchema = identityObject(
  (max) => z.string().transform(normalizeText).pipe(identityText(max)),
  z.string().transform(normalizeMacAddress).pipe(macAddressSchema),
);

/** A device's identity parameters as given (before normalisation). */
export type DeviceIdentityInput = z.input<typeof deviceIdentityInputSchema>;
/** A device's identity parameters, normalised: what the DeviceID hashes. */
export type DeviceIdentity = z.output<typeof deviceIdentitySchema>;
