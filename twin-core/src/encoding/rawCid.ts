import { sha256 } from '@noble/hashes/sha2';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** Largest block IPFS stores as one raw leaf with the default 256 KiB chunker. */
export const MAX_RAW_BLOCK_BYTES = 256 * 1024;

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The CIDv1 (raw codec, sha2-256, base32) of bytes that fit in one IPFS block: the CID that
 * `ipfs add --cid-version 1 --raw-leaves` and Helia give for the same bytes. Lets a tool name a document before
 * any IPFS node has seen it.
 *
 * @example
 * rawCidV1(encodeStaticDocument(document)) // 'bafkrei…'
 */
export function rawCidV1(bytes: Uint8Array): string {
  if (bytes.length > MAX_RAW_BLOCK_BYTES) {
    throw new RangeError(`${bytes.length} bytes do not fit in one raw IPFS block (${MAX_RAW_BLOCK_BYTES} at most)`);
  }
  const digest = sha256(bytes);
  const cid = new Uint8Array(4 + digest.length);
  cid.set([0x01, 0x55, 0x12, 0x20]);
  cid.set(digest, 4);
  return `b${base32(cid)}`;
}
