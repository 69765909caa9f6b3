import { getAddress, isAddress } from 'ethers';
import { z } from 'zod';
import { formatDeviceId, parseDeviceId } from '../../../twin-core/src/identity/deviceId';
import type { Hex } from '../../../twin-core/src/encoding/hex';

/** A DeviceID in a path or body: 0x + 64 hex digits (any case) or a decimal uint256; normalised to lower-case hex. */
export const deviceIdSchema = z
  .string()
  .refine((text) => {
    try {
      parseDeviceId(text);
      return true;
    } catch {
      return false;
    }
  }, 'must be a DeviceID: 0x followed by 64 hex digits, or a decimal uint256')
  .transform((text) => formatDeviceId(parseDeviceId(text)) as Hex)
  .meta({ description: 'DeviceID: keccak-256 of the static identity parameters', example: `0x${'ab'.repeat(32)}` });

/** An Ethereum address, any case; normalised to its checksum form. */
export const addressSchema = z
  .string()
  .refine((text) => isAddress(text), 'must be a 20-byte hex address (0x followed by 40 hex digits)')
  .transform((text) => getAddress(text))
  .meta({ description: 'Ethereum address', example: '0x70997970C51812dc3A010C7d01b50e20d17dc79C' });

/** A 32-byte hash, 0x + 64 hex. */
export const hashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits');

/** Wei as a decimal string (JSON cannot carry uint256 numbers). */
export const weiSchema = z
  .string()
  .regex(/^[0-9]{1,78}$/)
  .meta({ description: 'Amount in wei, decimal string' });

/** An ISO 8601 time. */
export const timeSchema = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 time' });

const boolText = z.enum(['true', 'false']).transform((value) => value === 'true');

/** `?page=&pageSize=` with bounds. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).meta({ description: 'Page, from 1' }),
  pageSize: z.coerce.number().int().min(1).max(500).default(20).meta({ description: 'Items per page (max 500)' }),
};

/** `?forSale=true|false`. */
export const booleanQuery = boolText;

export const deviceIdParams = z.object({ deviceId: deviceIdSchema });
export const addressParams = z.object({ address: addressSchema });
export const snapshotParams = z.object({
  deviceId: deviceIdSchema,
  seq: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .meta({ description: "The device's sequence number" }),
});

/** Every error body: `{ error: { code, message, details } }`. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable machine-readable code, e.g. `invalid-input`' }),
      message: z.string().meta({ description: 'What went wrong, for people' }),
      details: z.unknown().optional().meta({ description: 'For programs: the bad fields, the decoded revert…' }),
    }),
  })
  .meta({ id: 'Error' });

/** Pages of any item schema. */
export function pageOf<item extends z.ZodType>(item: item, id: string) {
  return z
    .object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() })
    .meta({ id });
}
