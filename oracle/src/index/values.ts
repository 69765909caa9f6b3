import { formatDeviceId, parseDeviceId } from '../../../twin-core/src/identity/deviceId';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { IndexError } from './errors';

/** A time as the repository functions take it: a Date, ISO 8601 text or milliseconds since the epoch. */
export type TimeInput = Date | string | number;

/** A wei amount as the repository functions take it: a bigint, or its decimal text. */
export type WeiInput = bigint | string;

/**
 * A DeviceID as the index stores it: `0x` + 64 lower-case hex digits.
 *
 * @example
 * deviceIdKey(5n) // '0x0000…0005'
 */
export function deviceIdKey(deviceId: string | bigint): Hex {
  try {
    return formatDeviceId(typeof deviceId === 'bigint' ? deviceId : parseDeviceId(deviceId));
  } catch (error) {
    throw new IndexError('Invalid DeviceID.', { details: String(deviceId), cause: error });
  }
}

/**
 * Milliseconds since the epoch of a {@link TimeInput}.
 *
 * @example
 * toMillis('2026-01-01T00:00:00Z') // 1767225600000
 */
export function toMillis(time: TimeInput, field = 'time'): number {
  const value = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(value)) throw new IndexError(`Invalid ${field}.`, { details: String(time) });
  return Math.trunc(value);
}

/**
 * ISO 8601 text of milliseconds since the epoch.
 *
 * @example
 * toIso(0) // '1970-01-01T00:00:00.000Z'
 */
export function toIso(millis: number): string {
  return new Date(millis).toISOString();
}

/**
 * The decimal text a wei amount is stored as; refuses negative or non-integer values.
 *
 * @example
 * weiText(2n ** 96n - 1n) // '79228162514264337593543950335'
 */
export function weiText(value: WeiInput, field = 'amount'): string {
  let amount: bigint;
  try {
    amount = typeof value === 'bigint' ? value : BigInt(value.trim() === '' ? 'x' : value.trim());
  } catch (error) {
    throw new IndexError(`Invalid ${field}.`, { details: `not an integer: ${String(value)}`, cause: error });
  }
  if (amount < 0n) throw new IndexError(`Invalid ${field}.`, { details: `negative: ${amount}` });
  return amount.toString();
}

/**
 * Lower-case hex of a hash or transaction hash (`0x` + hex digits).
 *
 * @example
 * hashKey('0xABCD') // '0xabcd'
 */
export function hashKey(value: string, field = 'hash'): Hex {
  if (!/^0x[0-9a-fA-F]*$/.test(value)) throw new IndexError(`Invalid ${field}.`, { details: value });
  return value.toLowerCase() as Hex;
}

/**
 * The page size a listing uses: `requested` bounded to 1…`max`, `fallback` when absent.
 *
 * @example
 * pageSize(query.limit, 100, 1_000) // 100 when absent, 1,000 for 5,000
 */
export function pageSize(requested: number | undefined, fallback: number, max: number): number {
  if (requested === undefined) return fallback;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new IndexError('Invalid page size.', { details: `expected a positive integer, got ${requested}` });
  }
  return Math.min(requested, max);
}

/** A SQLite row as node:sqlite returns it. */
export type Row = Record<string, unknown>;
