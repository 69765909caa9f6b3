import { z } from 'zod';
import { deviceIdentityInputSchema, deviceIdentitySchema, TRIMMED_PATTERN } from '../identity/schema';
import { STATIC_DOCUMENT_SCHEMA_VERSION } from './schemaVersion';

export { STATIC_DOCUMENT_SCHEMA_VERSION } from './schemaVersion';

/** Text as the canonical document holds it: 1..`max` characters, no whitespace at either end. */
const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(TRIMMED_PATTERN, 'must not start or end with whitespace');
/** The same text as tools may give it: trimmed first. */
const looseText = (max: number) =>
  z
    .string()
    .transform((value) => value.trim())
    .pipe(text(max));
const ipAddress = z.union([z.ipv4(), z.ipv6()]);

/** The document's fields over a text and an identity schema: the canonical form and the lenient input share one list. */
function staticDocumentObject<textSchema extends z.ZodType<string, string>, identity extends z.ZodType>(
  text: (max: number) => textSchema,
  identity: identity,
) {
  return z.strictObject({
    schemaVersion: z.literal(STATIC_DOCUMENT_SCHEMA_VERSION),
    /** When the agent read these parameters (ISO 8601, UTC). */
    collectedAt: z.iso.datetime(),
    identity,
    hardware: z.strictObject({
      /** CPU architecture as the kernel reports it (`uname -m`, e.g. `armv7l`). */
      architecture: text(32),
      /** Raspberry Pi revision code or equivalent board code (e.g. `c03114`). */
      revisionCode: text(32).optional(),
      /** CPU model name (e.g. `ARMv7 Processor rev 3 (v7l)`). */
      cpuModel: text(128).optional(),
      /** Number of CPU cores. */
      cpuCores: z.number().int().positive().optional(),
    }),
    os: z.strictObject({
      /** Kernel name (`uname -s`, e.g. `Linux`). */
      type: text(32),
      /** Kernel release (`uname -r`). */
      release: text(128),
      /** Kernel build version (`uname -v`). */
      kernelVersion: text(256).optional(),
      /** OS family (e.g. `debian`, from /etc/os-release `ID_LIKE`). */
      family: text(64).optional(),
      /** Host name. */
      hostname: text(253),
    }),
    network: z.strictObject({
      /** Statically configured IP address, or null when the device uses DHCP. */
      staticIp: ipAddress.nullable(),
    }),
  });
}

/**
 * The full static document of a device (seed 001 sections III, VII and VIII), in canonical form: the identity
 * parameters whose hash is the DeviceID, and the other parameters that do not change but are not identity. Stored on
 * IPFS as its canonical JSON (RFC 8785); its keccak256 is the `staticHash` recorded at mint. Strict: an unknown field
 * is refused, named, and nothing is transformed, so the document received is the document hashed. Price lives on
 * chain, not here.
 */
export const staticDocumentSchema = staticDocumentObject(text, deviceIdentitySchema);

/**
 * A static document as tools may give it (text untrimmed, any MAC notation…), normalised to the canonical form
 * {@link staticDocumentSchema} checks: what {@link parseStaticDocument} reads a document file with.
 */
export const staticDocumentInputSchema = staticDocumentObject(looseText, deviceIdentityInputSchema);

/** A static document as given (before normalisation). */
export type StaticDocumentInput = z.input<typeof staticDocumentInputSchema>;
/** A validated, normalised static document. */
export type StaticDocument = z.output<typeof staticDocumentSchema>;
