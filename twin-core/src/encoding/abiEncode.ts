import { utf8ToBytes } from '@noble/hashes/utils';
import { uintToWord } from './hex';

/** The ABI types the twin registry hashes: enough for DeviceIDs and snapshot leaves, nothing more. */
export type AbiParameter =
  | { type: 'uint256'; value: bigint }
  | { type: 'uint64'; value: bigint }
  | { type: 'bytes32'; value: Uint8Array }
  | { type: 'bytes6'; value: Uint8Array }
  | { type: 'string'; value: string };

const WORD = 32;
const FIXED_BYTES: Record<string, number> = { bytes32: 32, bytes6: 6 };
const UINT_BITS: Record<string, bigint> = { uint256: 256n, uint64: 64n };

function padRight(bytes: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(bytes.length / WORD) * WORD);
  padded.set(bytes);
  return padded;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Solidity's `abi.encode(p1, p2, …)` for the types in {@link AbiParameter}, byte for byte.
 * A pure-JavaScript stand-in for a full ABI coder so the device agent needs no Ethereum library.
 *
 * @example
 * abiEncode([{ type: 'uint256', value: 1n }, { type: 'string', value: 'pi' }])
 */
export function abiEncode(parameters: AbiParameter[]): Uint8Array {
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let tailOffset = parameters.length * WORD;
  for (const parameter of parameters) {
    if (parameter.type === 'string') {
      const data = utf8ToBytes(parameter.value);
      const tail = concat([uintToWord(BigInt(data.length)), padRight(data)]);
      heads.push(uintToWord(BigInt(tailOffset)));
      tails.push(tail);
      tailOffset += tail.length;
    } else if (parameter.type === 'bytes32' || parameter.type === 'bytes6') {
      const size = FIXED_BYTES[parameter.type]!;
      if (parameter.value.length !== size) {
        throw new RangeError(`${parameter.type} needs ${size} bytes, got ${parameter.value.length}`);
      }
      heads.push(padRight(parameter.value));
    } else {
      if (parameter.value < 0n || parameter.value >= 1n << UINT_BITS[parameter.type]!) {
        throw new RangeError(`${parameter.type} out of range: ${parameter.value}`);
      }
      heads.push(uintToWord(parameter.value));
    }
  }
  return concat([...heads, ...tails]);
}

/** Solidity's `abi.encode(tuple)` for a tuple holding a dynamic member: an offset word, then its fields. */
export function abiEncodeDynamicTuple(fields: AbiParameter[]): Uint8Array {
  return concat([uintToWord(BigInt(WORD)), abiEncode(fields)]);
}
