import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { MAX_BLOB_BYTES } from './blobStore';
import { DAG_PB_CODE, RAW_CODE, digestMatches } from './cid';
import { BlobIntegrityError, BlobTooLargeError, InvalidCidError, messageOf } from './errors';
import { dagPb } from './esmPackages.mjs';

/**
 * Where blocks come from: the embedded blockstore or a Kubo node. Blocks are returned unverified; the functions
 * below verify them.
 *
 * @example
 * const source: BlockSource = { description: 'memory', getBlock: async (cid) => map.get(String(cid))!, hasBlock: async (cid) => map.has(String(cid)) }
 */
export interface BlockSource {
  /** Names the source in error messages, e.g. `the embedded blockstore`. */
  readonly description: string;
  /** The block's bytes, unverified; throws BlobNotFoundError when the source does not hold it. */
  getBlock(cid: CID): Promise<Uint8Array>;
  /** Whether the source holds the block, without fetching it. */
  hasBlock(cid: CID): Promise<boolean>;
}

/** A balanced DAG of 174-link nodes is 3 levels deep at 64 MiB; anything deeper is not ours. */
const MAX_DEPTH = 8;

/**
 * A block from the source, hashed and compared with the digest of the CID that names it; errors name `root`, the
 * blob the block belongs to.
 *
 * @throws BlobIntegrityError when the bytes hash to something else
 * @example
 * const block = await getVerifiedBlock(source, cid)
 */
export async function getVerifiedBlock(source: BlockSource, cid: CID, root = cid.toString()): Promise<Uint8Array> {
  const block = await source.getBlock(cid);
  if (!digestMatches(cid, block)) {
    const which = root === cid.toString() ? 'the' : `its block ${cid}:`;
    throw new BlobIntegrityError(
      root,
      `${which} ${block.length} bytes read do not hash to that CID`,
      source.description,
    );
  }
  return block;
}

/**
 * The CIDs a blob's block links to: a dag-pb root's leaves (in order), none for a raw block. A verified block is
 * expected (from {@link getVerifiedBlock}); one that is not a UnixFS file node is an integrity error.
 *
 * @example
 * const leaves = blockLinks(parseBlobCid(cid), await store.getBlock(cid)) // ['bafkrei…', …]
 */
export function blockLinks(cid: CID, block: Uint8Array): string[] {
  if (cid.code !== DAG_PB_CODE) return [];
  return decodeFileNode(cid.toString(), cid, block, 'block').links.map((link) => link.toString());
}

/** A dag-pb block decoded as a UnixFS file node (file or raw type), or an integrity error. */
function decodeFileNode(root: string, cid: CID, block: Uint8Array, source: string) {
  let node: ReturnType<typeof dagPb.decode>;
  let unixfs: UnixFS;
  try {
    node = dagPb.decode(block);
    if (node.Data === undefined) throw new Error('the dag-pb node has no UnixFS data');
    unixfs = UnixFS.unmarshal(node.Data);
  } catch (error) {
    throw new BlobIntegrityError(root, `block ${cid} is not a UnixFS node: ${messageOf(error)}`, source);
  }
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') {
    throw new InvalidCidError(root, `block ${cid} is a UnixFS ${unixfs.type}, not a file (the store holds files only)`);
  }
  if (node.Links.length !== unixfs.blockSizes.length) {
    throw new BlobIntegrityError(
      root,
      `block ${cid} has ${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`,
      source,
    );
  }
  return { links: node.Links.map((link) => link.Hash), unixfs };
}

async function readNode(source: BlockSource, root: string, cid: CID, depth: number): Promise<Uint8Array> {
  if (depth > MAX_DEPTH)
    throw new BlobIntegrityError(root, `the DAG is deeper than ${MAX_DEPTH} levels`, source.description);
  const block = await getVerifiedBlock(source, cid, root);
  if (cid.code === RAW_CODE) return block;
  if (cid.code !== DAG_PB_CODE) {
    throw new BlobIntegrityError(root, `block ${cid} has codec 0x${cid.code.toString(16)}`, source.description);
  }
  const { links, unixfs } = decodeFileNode(root, cid, block, source.description);
  const size = unixfs.fileSize();
  if (size > BigInt(MAX_BLOB_BYTES)) throw new BlobTooLargeError(size, MAX_BLOB_BYTES, root);
  const parts: Uint8Array[] = unixfs.data ? [unixfs.data] : [];
  for (const [index, link] of links.entries()) {
    const child = await readNode(source, root, link, depth + 1);
    if (BigInt(child.length) !== unixfs.blockSizes[index]) {
      throw new BlobIntegrityError(
        root,
        `child ${link} holds ${child.length} bytes where its parent ${cid} records ${unixfs.blockSizes[index]}`,
        source.description,
      );
    }
    parts.push(child);
  }
  const bytes = Buffer.concat(parts);
  if (BigInt(bytes.length) !== size) {
    throw new BlobIntegrityError(
      root,
      `node ${cid} records ${size} bytes but holds ${bytes.length}`,
      source.description,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Reads a blob (a raw block or a UnixFS file DAG) from a block source, verifying every block against its CID and
 * every UnixFS node's sizes against its children. Since each link is a hash, a verified root binds every byte.
 *
 * @throws BlobNotFoundError when a block is missing
 * @throws BlobIntegrityError when a block does not hash to its CID or a UnixFS node is malformed
 * @throws InvalidCidError when the CID names a UnixFS directory or symlink rather than a file
 * @example
 * const bytes = await readVerifiedBlob(source, parseBlobCid(cidText))
 */
export async function readVerifiedBlob(source: BlockSource, cid: CID): Promise<Uint8Array> {
  return readNode(source, cid.toString(), cid, 0);
}

/**
 * Whether the source holds every block of the blob: inner nodes are read (and verified) to find their children,
 * leaves are only looked up.
 *
 * @example
 * const complete = await holdsWholeBlob(source, cid)
 */
export async function holdsWholeBlob(source: BlockSource, cid: CID, depth = 0): Promise<boolean> {
  if (!(await source.hasBlock(cid))) return false;
  if (cid.code === RAW_CODE || depth > MAX_DEPTH) return cid.code === RAW_CODE;
  const block = await getVerifiedBlock(source, cid);
  const { links } = decodeFileNode(cid.toString(), cid, block, source.description);
  for (const link of links) {
    if (!(await holdsWholeBlob(source, link, depth + 1))) return false;
  }
  return true;
}
