import { BaseError, type BaseErrorParameters } from '../../twin-core/src/errors/BaseError';

/**
 * The root of every error the blob store throws on purpose; catch it to handle any storage failure.
 *
 * @example
 * try { await store.get(cid) } catch (error) { if (error instanceof BlobStoreError) log.warn(error.shortMessage) }
 */
export class BlobStoreError extends BaseError {
  override name = 'BlobStoreError';
}

/**
 * A CID the store does not accept: unparseable, CIDv0, or not raw/dag-pb with a sha2-256 multihash.
 *
 * @example
 * throw new InvalidCidError('Qm…', 'CIDv0 is not accepted; the store names blobs with CIDv1')
 */
export class InvalidCidError extends BlobStoreError {
  override name = 'InvalidCidError';
  constructor(readonly cid: string, reason: string, parameters: BaseErrorParameters = {}) {
    super(`Invalid blob CID "${cid}": ${reason}.`, parameters);
  }
}

/**
 * The blob (or one block of it) is not in the store.
 *
 * @example
 * throw new BlobNotFoundError('bafkrei…', { details: 'no block in /data/ipfs/blocks' })
 */
export class BlobNotFoundError extends BlobStoreError {
  override name = 'BlobNotFoundError';
  constructor(readonly cid: string, parameters: BaseErrorParameters = {}) {
    super(`Blob ${cid} is not in the store.`, parameters);
  }
}

/**
 * Bytes read for a CID fail verification: a block does not hash to the CID that names it (a corrupted block file,
 * a lying IPFS node), or a UnixFS node does not decode or disagrees with its children's sizes. The bytes are never
 * returned.
 *
 * @example
 * throw new BlobIntegrityError('bafkrei…', 'the block hashes to bafkreiabc…', 'the embedded blockstore')
 */
export class BlobIntegrityError extends BlobStoreError {
  override name = 'BlobIntegrityError';
  constructor(readonly cid: string, reason: string, readonly source: string) {
    super(`Bytes read for ${cid} fail verification against that CID; refusing them.`, {
      details: `${reason} (read from ${source})`,
    });
  }
}

/**
 * An IPFS node named added bytes with a CID other than the one they have under the store's import settings
 * (CIDv1, raw leaves, sha2-256, 256 KiB chunks, 174 links per node).
 *
 * @example
 * throw new CidMismatchError('bafybeiexpected…', 'bafybeigot…', 'Kubo at http://127.0.0.1:5001')
 */
export class CidMismatchError extends BlobStoreError {
  override name = 'CidMismatchError';
  constructor(readonly expected: string, readonly actual: string, source: string) {
    super(`${source} named the added bytes ${actual}, but they are ${expected}.`, {
      details:
        'the node imports with other settings than `ipfs add --cid-version 1 --raw-leaves` (check its Import config)',
    });
  }
}

/**
 * A blob above the store's size limit, refused before it is stored or fetched.
 *
 * @example
 * throw new BlobTooLargeError(70_000_000, MAX_BLOB_BYTES)
 */
export class BlobTooLargeError extends BlobStoreError {
  override name = 'BlobTooLargeError';
  constructor(readonly size: number | bigint, readonly limit: number, cid?: string) {
    super(`Blob${cid ? ` ${cid}` : ''} of ${size} bytes is above the ${limit}-byte limit.`);
  }
}

/**
 * The Kubo RPC API failed: unreachable, an error status, or a response the store cannot parse. The message names
 * the URL and the endpoint.
 *
 * @example
 * throw new IpfsApiError('http://127.0.0.1:5001', 'add', { cause: error })
 */
export class IpfsApiError extends BlobStoreError {
  override name = 'IpfsApiError';
  constructor(readonly url: string, readonly endpoint: string, parameters: BaseErrorParameters = {}) {
    super(`The IPFS API at ${url} failed on /api/v0/${endpoint}.`, parameters);
  }
}

/**
 * The store was closed; open a new one.
 *
 * @example
 * throw new BlobStoreClosedError('embedded Helia store')
 */
export class BlobStoreClosedError extends BlobStoreError {
  override name = 'BlobStoreClosedError';
  constructor(kind: string) {
    super(`The ${kind} is closed.`);
  }
}

/**
 * The message of anything thrown, for `details` lines.
 *
 * @example
 * new BlobStoreError('Cannot open the store.', { details: messageOf(error), cause: error })
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
