import { z } from 'zod';
import { deviceIdentitySchema } from '../identity/schema';

/** Version of the static-document schema; a document states the version it follows. */
export const STATIC_DOCUMENT_SCHEMA_VERSION = 1;

const text = (max: number) => z.string().trim().min(1).max(max);
const ipAddress = z.union([z.ipv4(), z.ipv6()]);

/**
 * The full static document of a device (seed 001 sections III, VII and VIII): the identity parameters whose hash
 * is the DeviceID, and the other parameters that do not change but are not identity. Stored on IPFS as canonical
 * JSON; its keccak256 is the `staticHash` recorded at mint. Price lives on chain, not here.
 */
export const staticDocumentSchema = z.object({
  schemaVersion: z.literal(STATIC_DOCUMENT_SCHEMA_VERSION),
  /** When the agent read these parameters (ISO 8601, UTC). */
  collectedAt: z.iso.datetime(),
  identity: deviceIdentitySchema,
  hardware: z.object({
    /** CPU architecture as the kernel reports it (`uname -m`, e.g. `armv7l`). */
    architecture: text(32),
    /** Raspberry Pi revision code or equivalent board code (e.g. `c03114`). */
    revisionCode: text(32).optional(),
    /** CPU model name (e.g. `ARMv7 Processor rev 3 (v7l)`). */
    cpuModel: text(128).optional(),
    /** Number of CPU cores. */
    cpuCores: z.number().int().positive().optional(),
  }),
  os: z.object({
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
  network: z.object({
    /** Statically configured IP address, or null when the device uses DHCP. */
    staticIp: ipAddress.nullable(),
  }),
});

/** A static document as given (before normalisation). */
export type StaticDocumentInput = z.input<typeof staticDocumentSchema>;
/** A validated, normalised static document. */
export type StaticDocument = z.output<typeof staticDocumentSchema>;
