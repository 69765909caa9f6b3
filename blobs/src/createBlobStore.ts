import type { BlobStore } from './blobStore';
import { HeliaBlobStore } from './heliaBlobStore';
import { KuboBlobStore } from './kuboBlobStore';

/**
 * Options of {@link createBlobStore}: the `dataDir` and `ipfsApiUrl` of the oracle's config.
 *
 * @example
 * const options: CreateBlobStoreOptions = { dataDir: '.data/oracle', ipfsApiUrl: process.env.IPFS_API_URL }
 */
export type CreateBlobStoreOptions = {
  /** The oracle's data directory; the embedded store keeps its blocks and pins under `<dataDir>/ipfs`. */
  dataDir: string;
  /** A Kubo RPC API (`IPFS_API_URL`); when set, blobs go to that node instead of the embedded one. */
  ipfsApiUrl?: string | undefined;
  /** Per-call time limit for Kubo, in ms (default 30 s). */
  kuboTimeoutMs?: number | undefined;
};

/**
 * The oracle's blob store: Kubo through its RPC API when `ipfsApiUrl` is set (nothing is written under `dataDir`
 * then), else the embedded Helia node persisted under `<dataDir>/ipfs` with networking off. Close it on shutdown.
 *
 * @throws BlobStoreError when the URL is not http(s) or the data directory cannot be used
 * @example
 * const store = await createBlobStore({ dataDir: config.dataDir, ipfsApiUrl: config.ipfsApiUrl })
 * const manifestCid = await store.add(manifestBytes)
 * await store.close()
 */
export async function createBlobStore(options: CreateBlobStoreOptions): Promise<BlobStore> {
  if (options.ipfsApiUrl !== undefined && options.ipfsApiUrl !== '') {
    return new KuboBlobStore({ url: options.ipfsApiUrl, timeoutMs: options.kuboTimeoutMs });
  }
  return HeliaBlobStore.open({ dataDir: options.dataDir });
}
