/**
 * The blob store (issue 4, "Bulky data to IPFS"; issue 15, blobs across instances): one `BlobStore` interface, the
 * embedded Helia adapter (offline, or on a private IPFS network of instances), the Kubo adapter, the factory that
 * picks one and the IPFS settings every process shares. See README.md in this folder.
 *
 * @example
 * import { createBlobStore, ipfsConfigOf } from '../../blobs/src'
 * const store = await createBlobStore({ ...ipfsConfigOf(config), dataDir, log })
 */
export { MAX_BLOB_BYTES, type BlobStore } from './blobStore';
export { CHUNK_BYTES, KUBO_IMPORT_OPTIONS, MAX_LINKS_PER_NODE, computeBlobCid, parseBlobCid } from './cid';
export {
  IPFS_CONFIG_ENV,
  IPFS_CONFIG_SECRETS,
  checkIpfsConfig,
  ipfsConfigOf,
  ipfsConfigShape,
  sharesBlobs,
  type IpfsConfig,
} from './config';
export { DEFAULT_IPFS_LISTEN, createBlobStore, type CreateBlobStoreOptions } from './createBlobStore';
export { blockLinks } from './dag';
export * from './errors';
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  HeliaBlobStore,
  type HeliaBlobStoreOptions,
  type HeliaNetworkOptions,
  type KeepFetched,
} from './heliaBlobStore';
export { DEFAULT_KUBO_TIMEOUT_MS, KuboBlobStore, type KuboBlobStoreOptions } from './kuboBlobStore';
export { parseListenAddress, parsePeerAddress, type ListenAddress, type PeerAddress } from './network/addresses';
export type { NetworkLog, PrivateNetworkStatus } from './network/startPrivateNetwork';
export { generateSwarmKey, parseSwarmKey, readSwarmKeyFile } from './network/swarmKey';
