import { formatDeviceId, parseDeviceId } from '../../twin-core/src/identity/deviceId';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { StoreError } from './errors';

/** A time as the store's functions take it: a Date, ISO 8601 text or milliseconds since the epoch. */
export type TimeInput = Date | string | number;

/**
 * A DeviceID as the store keeps it: `0x` + 64 lower-case hex digits.
 *
 * @example
 * deviceIdKey(5n) // '0x0000…0005'
 */
export function deviceIdKey(deviceId: string | bigint): Hex {
  try {
    return formatDeviceId(typeof deviceId === 'bigint' ? deviceId : parseDeviceId(deviceId));
  } catch (error) {
    throw new StoreError('Invalid DeviceID.', { details: String(deviceId), cause: error });
  }
}

/**
 * A {@link TimeInput} as a Date (what `timestamptz` parameters take), refusing what is not a time.
 *
 * @example
 * toDate('2026-01-01T00:00:00Z', 'collection time')
 */
export function toDate(time: TimeInput, field = 'time'): Date {
  const value = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(value)) throw new StoreError(`Invalid ${field}.`, { details: String(time) });
  return new Date(Math.trunc(value));
}

/**
 * ISO 8601 text of a `timestamptz` value as pg returns it.
 *
 * @example
 * toIso(row.received_at) // '2026-01-01T00:00:00.000Z'
 */
export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/**
 * Lower-case hex of a hash or transaction hash (`0x` + hex digits).
 *
 * @example
 * hashKey('0xABCD') // '0xabcd'
 */
export function hashKey(value: string, field = 'hash'): Hex {
  if (!/^0x[0-9a-fA-F]*$/.test(value)) throw new StoreError(`Invalid ${field}.`, { details: value });
  return value.toLowerCase() as Hex;
}

/**
 * A sequence number: a safe integer ≥ 0.
 *
 * @example
 * sequenceNumber(snapshot.seq, 'snapshot sequence number')
 */
export function sequenceNumber(value: number, field = 'sequence number'): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError(`Invalid ${field}.`, { details: `expected an integer ≥ 0, got ${String(value)}` });
  }
  return value;
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
    throw new StoreError('Invalid page size.', { details: `expected a positive integer, got ${requested}` });
  }
  return Math.min(requested, max);
}

/** A row as pg returns it. */
export type Row = Record<string, unknown>;

/** A wei amount as the store's functions take it: a bigint, or its decimal text. */
export type WeiInput = bigint | string;

/**
 * The decimal text a wei amount is stored as (`numeric(78,0)`); refuses negative or non-integer values.
 *
 * @example
 * weiText(2n ** 96n - 1n, 'price') // '79228162514264337593543950335'
 */
export function weiText(value: WeiInput, field = 'amount'): string {
  let amount: bigint;
  try {
    amount = typeof value === 'bigint' ? value : BigInt(value.trim() === '' ? 'x' : value.trim());
  } catch (error) {
    throw new StoreError(`Invalid ${field}.`, { details: `not an integer: ${String(value)}`, cause: error });
  }
  if (amount < 0n) throw new StoreError(`Invalid ${field}.`, { details: `negative: ${amount}` });
  if (amount >= 10n ** 78n) throw new StoreError(`Invalid ${field}.`, { details: `more than 78 digits: ${amount}` });
  return amount.toString();
}

/**
 * An account address as the store keeps it (domain `address`): `0x` + 40 hex digits, its spelling kept (EIP-55),
 * compared ignoring case.
 *
 * @example
 * addressText(twin.owner, 'owner')
 */
export function addressText(value: string, field = 'address'): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new StoreError(`Invalid ${field}.`, { details: `expected 0x and 40 hex digits, got ${String(value)}` });
  }
  return value;
}

/**
 * `value` as PostgreSQL can store it: `text` and `jsonb` cannot hold U+0000 (SQLite could), so each is replaced by
 * U+FFFD. For text from the chain (names, notes, CIDs anyone can put in an event): refusing it would stall the
 * chain mirror on that block for good.
 *
 * @example
 * pgText('evil\u0000name') // 'evil\uFFFDname'
 */
export function pgText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

/**
 * JSON text of `value` for a `jsonb` parameter, every string (member names too) passed through {@link pgText}.
 *
 * @example
 * await db.query('INSERT INTO chain_events (…, payload) VALUES (…, $8)', [..., pgJson(event.payload)])
 */
export function pgJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, item: unknown) {
    if (typeof item === 'string') return pgText(item);
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      const entries = Object.entries(item as Record<string, unknown>);
      if (entries.some(([name]) => name.includes('\u0000'))) {
        return Object.fromEntries(entries.map(([name, member]) => [pgText(name), member]));
      }
    }
    return item;
  });
}
