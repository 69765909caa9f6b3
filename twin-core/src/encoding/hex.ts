import { bytesToHex, hexToBytes } from '@noble/hashes/utils';

/** A 0x-prefixed hex string. */
export type Hex = `0x${string}`;

/** Bytes as a 0x-prefixed lower-case hex string. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

/** A 0x-prefixed (or bare) hex string as bytes. */
export function fromHex(hex: string): Uint8Array {
  return hexToBytes(hex.startsWith('0x') ? hex.slice(2) : hex);
}

/** A non-negative integer as a 32-byte big-endian word. */
export function uintToWord(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 256n) throw new RangeError(`uint256 out of range: ${value}`);
  return fromHex(value.toString(16).padStart(64, '0'));
}
