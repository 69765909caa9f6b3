/**
 * Bulky data to IPFS (issue 4): one `BlobStore` interface, the embedded Helia adapter, the Kubo adapter and the
 * factory that picks one. See README.md in this folder.
 *
 * @example
 * import { createBlobStore } from '../../blobs/src'
 * const store = await createBlobStore({ dataDir, ipfsApiUrl })
 */
export { MAX_BLOB_BYTES, type BlobStore } from './blobStore';
export { CHUNK_BYTES, KUBO_IMPORT_OPTIONS, MAX_LINKS_PER_NODE, computeBlobCid, parseBlobCid } from './cid';
export { createBlobStore, type CreateBlobStoreOptions } from './createBlobStore';
export * from './errors';
export { HeliaBlobStore, type HeliaBlobStoreOptions } from './heliaBlobStore';
export { DEFAULT_KUBO_TIMEOUT_MS, KuboBlobStore, type KuboBlobStoreOptions } from './kuboBlobStore';
