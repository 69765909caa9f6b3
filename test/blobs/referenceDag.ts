import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';

/**
 * An independent re-statement, from the dag-pb and UnixFS specs, of what `ipfs add --cid-version 1 --raw-leaves`
 * (Kubo, default `size-262144` chunker) stores for a file of at most 174 chunks: one raw leaf per chunk and,
 * when there is more than one chunk, a dag-pb root whose links come first (Hash, empty Name, Tsize = chunk length)
 * followed by UnixFS data {Type: File, filesize, blocksizes}. A single chunk is stored as the raw leaf itself.
 * Written byte by byte (no importer), so the store's CIDs are checked against the format, not against the library
 * that made them. Used by the tests and by the Kubo stand-in.
 */

const RAW = 0x55;
const DAG_PB = 0x70;
const SHA2_256 = 0x12;
export const KUBO_CHUNK_BYTES = 262_144;
const MAX_LINKS = 174;

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push(rest % 0x80 | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** A length-delimited protobuf field (wire type 2). */
function delimited(fieldNumber: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([(fieldNumber << 3) | 2, ...varint(bytes.length)]), bytes]);
}

/** A varint protobuf field (wire type 0). */
function varintField(fieldNumber: number, value: number): Buffer {
  return Buffer.from([fieldNumber << 3, ...varint(value)]);
}

function cidOf(code: number, block: Uint8Array): CID {
  const digest = createHash('sha256').update(block).digest();
  return CID.createV1(code, Digest.create(SHA2_256, new Uint8Array(digest)));
}

/** The blocks of a file as Kubo stores them, and the root CID `ipfs add` prints. */
export type ReferenceDag = { cid: string; leaves: string[]; blocks: Map<string, Uint8Array> };

/**
 * What `ipfs add --cid-version 1 --raw-leaves --chunker size-<chunkBytes>` gives for bytes (one DAG level).
 *
 * @example
 * referenceDag(new Uint8Array(300_000)).cid // 'bafybei…' (2 leaves)
 */
export function referenceDag(bytes: Uint8Array, chunkBytes = KUBO_CHUNK_BYTES): ReferenceDag {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes)
    chunks.push(bytes.subarray(offset, offset + chunkBytes));
  if (chunks.length === 0) chunks.push(new Uint8Array(0));
  if (chunks.length > MAX_LINKS) throw new Error(`the reference covers one DAG level (${MAX_LINKS} chunks at most)`);

  const blocks = new Map<string, Uint8Array>();
  const leaves = chunks.map((chunk) => {
    const cid = cidOf(RAW, chunk);
    blocks.set(cid.toString(), chunk);
    return cid;
  });
  if (leaves.length === 1) return { cid: leaves[0]!.toString(), leaves: [leaves[0]!.toString()], blocks };

  const links = leaves.map((leaf, index) =>
    delimited(
      2,
      Buffer.concat([delimited(1, leaf.bytes), delimited(2, new Uint8Array(0)), varintField(3, chunks[index]!.length)]),
    ),
  );
  const unixfs = Buffer.concat([
    varintField(1, 2), // Type: File
    varintField(3, bytes.length), // filesize
    ...chunks.map((chunk) => varintField(4, chunk.length)), // blocksizes (not packed, as proto2 writes them)
  ]);
  const root = new Uint8Array(Buffer.concat([...links, delimited(1, unixfs)]));
  const rootCid = cidOf(DAG_PB, root);
  blocks.set(rootCid.toString(), root);
  return { cid: rootCid.toString(), leaves: leaves.map(String), blocks };
}

/**
 * Deterministic pseudo-random bytes (xorshift32), so large payloads differ block by block and a test is repeatable.
 *
 * @example
 * const payload = pseudoRandomBytes(600 * 1024, 7)
 */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[index] = state & 0xff;
  }
  return out;
}
