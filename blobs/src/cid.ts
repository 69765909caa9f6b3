import { createHash } from 'node:crypto';
import { importBytes, type ImporterOptions } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { CID } from 'multiformats/cid';
import { BlobTooLargeError, InvalidCidError, messageOf } from './errors';
import { MAX_BLOB_BYTES } from './blobStore';

/**
 * Multicodec of raw bytes: a blob of at most {@link CHUNK_BYTES} is one block of this codec.
 *
 * @example
 * parseBlobCid(cid).code === RAW_CODE // a single-block blob
 */
export const RAW_CODE = 0x55;
/**
 * Multicodec of a dag-pb (UnixFS) node: the root of a blob above {@link CHUNK_BYTES}.
 *
 * @example
 * parseBlobCid(cid).code === DAG_PB_CODE // a chunked blob
 */
export const DAG_PB_CODE = 0x70;
/**
 * Multihash code of sha2-256, the only hash the store accepts.
 *
 * @example
 * parseBlobCid(cid).multihash.code === SHA2_256_CODE // always
 */
export const SHA2_256_CODE = 0x12;
/**
 * Kubo's default chunk size (`--chunker size-262144`): one raw leaf holds at most this many bytes.
 *
 * @example
 * const leaves = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES))
 */
export const CHUNK_BYTES = 256 * 1024;
/**
 * Kubo's default links per UnixFS node (`Import.UnixFSFileMaxLinks`): up to 174 leaves hang off the root.
 *
 * @example
 * const oneLevel = bytes.length <= MAX_LINKS_PER_NODE * CHUNK_BYTES // 43.5 MiB
 */
export const MAX_LINKS_PER_NODE = 174;

/**
 * The importer settings of `ipfs add --cid-version 1 --raw-leaves` with Kubo's defaults: fixed 256 KiB chunks,
 * balanced layout with 174 links per node, a single chunk stored as the raw leaf itself. @helia/unixfs defaults to
 * 1 MiB chunks and 1024 links ("Filecoin" settings), which would name anything above 256 KiB differently, so
 * every import in this folder passes these.
 *
 * @example
 * const cid = await unixfs(helia).addBytes(bytes, KUBO_IMPORT_OPTIONS)
 */
export const KUBO_IMPORT_OPTIONS = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: CHUNK_BYTES }),
  layout: balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
} satisfies ImporterOptions;

/**
 * The `ipfs add` options (kubo-rpc-client names; sent as `cid-version`, `raw-leaves`, `chunker`, `hash`) that give
 * the same CIDs as {@link KUBO_IMPORT_OPTIONS}.
 *
 * @example
 * await kubo.add(bytes, { ...KUBO_ADD_PARAMETERS, pin: true })
 */
export const KUBO_ADD_PARAMETERS = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: `size-${CHUNK_BYTES}`,
  hashAlg: 'sha2-256',
} as const;

/**
 * Parses a blob CID and checks it is one this store can produce and verify: CIDv1, raw or dag-pb, sha2-256 with a
 * 32-byte digest.
 *
 * @throws InvalidCidError otherwise
 * @example
 * const cid = parseBlobCid('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
 */
export function parseBlobCid(text: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(text.trim());
  } catch (error) {
    throw new InvalidCidError(text, 'not a CID', { details: messageOf(error) });
  }
  if (cid.version !== 1) throw new InvalidCidError(text, 'CIDv0 is not accepted; blobs are named with CIDv1');
  if (cid.code !== RAW_CODE && cid.code !== DAG_PB_CODE) {
    throw new InvalidCidError(text, `codec 0x${cid.code.toString(16)} is neither raw (0x55) nor dag-pb (0x70)`);
  }
  if (cid.multihash.code !== SHA2_256_CODE || cid.multihash.digest.length !== 32) {
    throw new InvalidCidError(text, `multihash 0x${cid.multihash.code.toString(16)} is not a 32-byte sha2-256`);
  }
  return cid;
}

/**
 * The sha2-256 digest of bytes, compared with the digest in a CID.
 *
 * @example
 * digestMatches(cid, block) // false for a corrupted block
 */
export function digestMatches(cid: CID, bytes: Uint8Array): boolean {
  const digest = createHash('sha256').update(bytes).digest();
  return Buffer.compare(digest, cid.multihash.digest) === 0;
}

/**
 * Refuses bytes above {@link MAX_BLOB_BYTES} before they are imported.
 *
 * @throws BlobTooLargeError
 * @example
 * assertBlobSize(bytes)
 */
export function assertBlobSize(bytes: Uint8Array): void {
  if (bytes.length > MAX_BLOB_BYTES) throw new BlobTooLargeError(bytes.length, MAX_BLOB_BYTES);
}

/**
 * The CID `ipfs add --cid-version 1 --raw-leaves` gives for bytes, computed in memory (blocks are hashed, not
 * kept). For up to 256 KiB it equals twin-core's `rawCidV1`.
 *
 * @example
 * await computeBlobCid(new TextEncoder().encode('hello world'))
 * // 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
 */
export async function computeBlobCid(bytes: Uint8Array): Promise<string> {
  assertBlobSize(bytes);
  const discard = { put: async (cid: CID) => cid };
  const { cid } = await importBytes(bytes, discard, KUBO_IMPORT_OPTIONS);
  return cid.toString();
}
