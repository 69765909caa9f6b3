import { z } from 'zod';

/** Trimmed, NFC-normalised text of 1..`max` characters: the same device always yields the same bytes. */
const identityText = (max: number) =>
  z
    .string()
    .transform((value) => value.normalize('NFC').trim())
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

/** A MAC address in any usual notation (`dc:a6:32:01:02:03`, `DC-A6-32-01-02-03`, `dca632010203`), as lower-case colon form. */
export const macAddressSchema = z
  .string()
  .trim()
  .regex(
    /^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/,
    'must be a MAC address such as dc:a6:32:01:02:03',
  )
  .transform((value) => value.replace(/[:-]/g, '').toLowerCase().match(/../g)!.join(':'))
  .refine((value) => value !== '00:00:00:00:00:00', 'must not be all zeros');

/**
 * The identity parameters of a device's static information (seed 001 sections III and VIII); their hash is the
 * DeviceID. Price and IP address are not identity. The contract's `DeviceIdentity` struct has the same fields in
 * the same order.
 */
export const deviceIdentitySchema = z.object({
  /** Primary network interface MAC address. */
  macAddress: macAddressSchema,
  /** Board serial number (e.g. /proc/cpuinfo `Serial`). */
  serialNumber: identityText(64),
  /** Maker of the hardware (e.g. `Raspberry Pi Ltd`). */
  manufacturer: identityText(64),
  /** Hardware model (e.g. `Raspberry Pi 4 Model B`). */
  hardwareModel: identityText(128),
  /** Hardware revision (e.g. `1.4` or the revision code `c03114`). */
  hardwareRevision: identityText(64),
  /** Installed memory, in bytes (the nominal size, e.g. 4294967296 for 4 GiB). */
  memoryBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** Operating system name (e.g. `Raspberry Pi OS`). */
  osName: identityText(64),
  /** Operating system version (e.g. `12 (bookworm)`). */
  osVersion: identityText(64),
});

/** A device's identity parameters as given (before normalisation). */
export type DeviceIdentityInput = z.input<typeof deviceIdentitySchema>;
/** A device's identity parameters, normalised: what the DeviceID hashes. */
export type DeviceIdentity = z.output<typeof deviceIdentitySchema>;
