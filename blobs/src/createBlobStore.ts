import type { BlobStore } from './blobStore';
import type { IpfsConfig } from './config';
import { BlobStoreError } from './errors';
import { HeliaBlobStore, type HeliaNetworkOptions } from './heliaBlobStore';
import { KuboBlobStore } from './kuboBlobStore';
import { parseListenAddress, parsePeerAddress } from './network/addresses';
import type { NetworkLog } from './network/startPrivateNetwork';
import { parseSwarmKey, readSwarmKeyFile } from './network/swarmKey';

/**
 * Options of {@link createBlobStore}: a data directory and the process's IPFS settings (`ipfsConfigOf(config)`).
 *
 * @example
 * const options: CreateBlobStoreOptions = { dataDir: '.data/oracle', ipfsApiUrl: process.env.IPFS_API_URL }
 */
export type CreateBlobStoreOptions = Partial<IpfsConfig> & {
  /** The embedded store keeps its blocks, pins and node identity under `<dataDir>/ipfs`. */
  dataDir: string;
  /** Per-call time limit for Kubo, in ms (default 30 s). */
  kuboTimeoutMs?: number | undefined;
  /** Where the private network's events go (peers connected, lost, refused dials); never given a key. */
  log?: NetworkLog | undefined;
};

/**
 * Default listen address of a node on the private network: loopback, Kubo's port.
 *
 * @example
 * parseListenAddress(DEFAULT_IPFS_LISTEN)
 */
export const DEFAULT_IPFS_LISTEN = '/ip4/127.0.0.1/tcp/4001';

/** The private network settings, or undefined when no swarm key is given (offline). */
function networkOptions(options: CreateBlobStoreOptions): HeliaNetworkOptions | undefined {
  const { ipfsSwarmKeyFile: file, ipfsSwarmKey: text } = options;
  if (file === undefined && text === undefined) {
    if ((options.ipfsPeers?.length ?? 0) > 0 || (options.ipfsListen?.length ?? 0) > 0) {
      throw new BlobStoreError(
        'IPFS peers or listen addresses need a swarm key (IPFS_SWARM_KEY_FILE or IPFS_SWARM_KEY).',
      );
    }
    return undefined;
  }
  if (file !== undefined && text !== undefined) {
    throw new BlobStoreError('Give the swarm key once: IPFS_SWARM_KEY_FILE or IPFS_SWARM_KEY, not both.');
  }
  return {
    swarmKey: file !== undefined ? readSwarmKeyFile(file) : parseSwarmKey(text!),
    listen: (options.ipfsListen ?? [DEFAULT_IPFS_LISTEN]).map(parseListenAddress),
    peers: (options.ipfsPeers ?? []).map(parsePeerAddress),
    ...(options.ipfsFetchTimeoutMs !== undefined ? { fetchTimeoutMs: options.ipfsFetchTimeoutMs } : {}),
    ...(options.ipfsKeepFetched !== undefined ? { keepFetched: options.ipfsKeepFetched } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  };
}

/**
 * The process's blob store: Kubo through its RPC API when `ipfsApiUrl` is set (nothing is written under `dataDir`
 * then); else the embedded Helia node persisted under `<dataDir>/ipfs`, offline, or on the private network of
 * instances when a swarm key is given (`ipfsSwarmKeyFile` or `ipfsSwarmKey`, with `ipfsListen` and `ipfsPeers`).
 * Close it on shutdown.
 *
 * @throws BlobStoreError when the settings contradict each other, the URL is not http(s), the key is unreadable or
 *   malformed, an address is invalid or cannot be bound, or the data directory cannot be used
 * @example
 * const store = await createBlobStore({ ...ipfsConfigOf(config), dataDir: config.dataDir, log })
 * const manifestCid = await store.add(manifestBytes)
 * await store.close()
 */
export async function createBlobStore(options: CreateBlobStoreOptions): Promise<BlobStore> {
  if (options.ipfsApiUrl !== undefined && options.ipfsApiUrl !== '') {
    if (options.ipfsSwarmKeyFile !== undefined || options.ipfsSwarmKey !== undefined) {
      throw new BlobStoreError('A swarm key is for the embedded node; with IPFS_API_URL, Kubo holds the blobs.');
    }
    return new KuboBlobStore({ url: options.ipfsApiUrl, timeoutMs: options.kuboTimeoutMs });
  }
  return HeliaBlobStore.open({ dataDir: options.dataDir, network: networkOptions(options) });
}
