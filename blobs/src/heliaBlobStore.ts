import { join } from 'node:path';
import { unixfs, type UnixFS } from '@helia/unixfs';
import type { Helia } from 'helia';
import type { CID } from 'multiformats/cid';
import type { BlobStore } from './blobStore';
import { KUBO_IMPORT_OPTIONS, assertBlobSize, parseBlobCid } from './cid';
import { createHeliaNode } from './createHeliaNode';
import { getVerifiedBlock, holdsWholeBlob, readVerifiedBlob, type BlockSource } from './dag';
import { BlobNotFoundError, BlobStoreClosedError, BlobStoreError, messageOf } from './errors';
import { FsBlockstore, FsDatastore } from './esmPackages.mjs';
import type { ListenAddress, PeerAddress } from './network/addresses';
import type { NetworkLog, PrivateNetwork, PrivateNetworkStatus } from './network/startPrivateNetwork';

/**
 * What the embedded node does with a blob it had to fetch from a peer: `pin` it (a replica that survives the peer's
 * loss; the default), `keep` the blocks unpinned (a cache a garbage collection may drop), or `drop` them once read
 * and verified (nothing stored).
 *
 * @example
 * const keep: KeepFetched = 'pin'
 */
export type KeepFetched = 'pin' | 'keep' | 'drop';

/**
 * The embedded node's private IPFS network (see `startPrivateNetwork`): without it the node is offline.
 *
 * @example
 * const network: HeliaNetworkOptions = { swarmKey: parseSwarmKey(hex), listen: [], peers: [parsePeerAddress(oracle)] }
 */
export type HeliaNetworkOptions = {
  /** The pre-shared key (`parseSwarmKey` / `readSwarmKeyFile`); never logged. */
  swarmKey: Uint8Array;
  listen: ListenAddress[];
  peers: PeerAddress[];
  /** How long a read waits for a peer to send a block this node lacks, ms (default 10,000). */
  fetchTimeoutMs?: number;
  /** Default `pin`. */
  keepFetched?: KeepFetched;
  /** How often a disconnected peer is dialled again, ms (default 2,000). */
  redialIntervalMs?: number;
  log?: NetworkLog;
};

/**
 * Options of {@link HeliaBlobStore.open}.
 *
 * @example
 * const options: HeliaBlobStoreOptions = { dataDir: '.data/oracle' }
 */
export type HeliaBlobStoreOptions = {
  /** The data directory; blocks go to `<dataDir>/ipfs/blocks`, pins and metadata to `<dataDir>/ipfs/datastore`. */
  dataDir: string;
  /** Joins a private IPFS network of instances; absent, the node is offline (no socket at all). */
  network?: HeliaNetworkOptions | undefined;
};

/**
 * Default time a read waits for a block from the private network (10 s).
 *
 * @example
 * HeliaBlobStore.open({ dataDir, network: { ...network, fetchTimeoutMs: DEFAULT_FETCH_TIMEOUT_MS * 3 } })
 */
export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

/** Every local read: a missing block fails at once instead of being looked up. */
const OFFLINE = { offline: true } as const;
/** A pin's walk reads local blocks only: on the network a missing block would otherwise be waited for, unbounded. */
const PIN_OFFLINE = { depth: Infinity, ...OFFLINE };

/** True for the errors Helia throws when a pin is already there or not there. */
function isErrorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * The embedded blob store: Helia in-process over a persistent file blockstore (blockstore-fs) and datastore
 * (datastore-fs, which holds the pins). Data survives a restart: close, open the same directory, read back.
 * One process per data directory (Helia takes no lock on it).
 *
 * Offline by default (Helia's core as `createHeliaLight` makes it: no libp2p, no routers, no block brokers: it never opens a socket). With
 * `network`, it joins a private IPFS network of instances (libp2p over TCP behind a pre-shared key, bitswap as the
 * only block broker, dialling only the configured peers): any instance then reads any blob another one added, each
 * fetched block verified against its CID, kept as `keepFetched` says.
 *
 * @example
 * const store = await HeliaBlobStore.open({ dataDir: '.data/oracle' })
 * const cid = await store.add(bytes)
 * const same = await store.get(cid)
 * await store.close()
 */
export class HeliaBlobStore implements BlobStore {
  readonly kind = 'embedded' as const;
  private closed = false;
  private readonly fs: UnixFS;
  private readonly fetchTimeoutMs: number;
  private readonly keepFetched: KeepFetched;

  private constructor(
    private readonly helia: Helia,
    private readonly blockstore: InstanceType<typeof FsBlockstore>,
    private readonly datastore: InstanceType<typeof FsDatastore>,
    readonly directory: string,
    private readonly network: PrivateNetwork | undefined,
    options: HeliaNetworkOptions | undefined,
  ) {
    this.fs = unixfs(helia);
    this.fetchTimeoutMs = options?.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.keepFetched = options?.keepFetched ?? 'pin';
  }

  /**
   * Opens (creating when missing) the blockstore and datastore under `<dataDir>/ipfs` and starts Helia: offline, or
   * on the private network when `network` is given (its identity in `<dataDir>/ipfs/peer-key`, created once).
   *
   * @throws BlobStoreError when the directory cannot be used or a listen address cannot be bound
   * @example
   * const store = await HeliaBlobStore.open({ dataDir: '/var/lib/oracle' })
   */
  static async open(options: HeliaBlobStoreOptions): Promise<HeliaBlobStore> {
    const directory = join(options.dataDir, 'ipfs');
    const blockstore = new FsBlockstore(join(directory, 'blocks'));
    const datastore = new FsDatastore(join(directory, 'datastore'));
    let network: PrivateNetwork | undefined;
    try {
      await blockstore.open();
      await datastore.open();
      const helia = createHeliaNode({ blockstore, datastore });
      if (options.network !== undefined) {
        // Loaded only here: an offline store never loads libp2p (start time and memory of `npm start`).
        const { joinPrivateNetwork } =
          require('./network/joinPrivateNetwork') as typeof import('./network/joinPrivateNetwork');
        network = await joinPrivateNetwork(helia, directory, options.network);
      }
      await helia.start();
      // Bitswap is registered now: peers learn it when they connect (identify), so dialling starts only here.
      network?.startDialling();
      return new HeliaBlobStore(helia, blockstore, datastore, directory, network, options.network);
    } catch (error) {
      await network?.stop().catch(() => undefined);
      await Promise.allSettled([blockstore.close(), datastore.close()]);
      if (error instanceof BlobStoreError) throw error;
      throw new BlobStoreError(`Cannot open the embedded IPFS store in ${directory}.`, {
        details: messageOf(error),
        cause: error,
      });
    }
  }

  /**
   * The node's private network (peer ID, listen addresses, peers and whether each is connected); undefined offline.
   *
   * @example
   * store.networkStatus()?.listening // ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…']
   */
  networkStatus(): PrivateNetworkStatus | undefined {
    return this.network?.status();
  }

  describe(): string {
    const status = this.network?.status();
    if (status === undefined) return 'embedded Helia node (offline)';
    const up = status.peers.filter((peer) => peer.connected).length;
    return (
      `embedded Helia node on the private IPFS network (peer ${status.peerId}, ` +
      `${up} of ${status.peers.length} configured peers connected, ${status.connections} connections)`
    );
  }

  async add(bytes: Uint8Array): Promise<string> {
    this.assertOpen();
    assertBlobSize(bytes);
    try {
      const cid = await this.fs.addBytes(bytes, KUBO_IMPORT_OPTIONS);
      await this.pinCid(cid);
      return cid.toString();
    } catch (error) {
      throw new BlobStoreError(`Cannot add ${bytes.length} bytes to the embedded IPFS store in ${this.directory}.`, {
        details: messageOf(error),
        cause: error,
      });
    }
  }

  async get(cid: string): Promise<Uint8Array> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    const fetched: CID[] = [];
    let bytes: Uint8Array;
    try {
      bytes = await readVerifiedBlob(this.source(fetched), parsed);
    } catch (error) {
      // A peer's bytes that fail verification (or a partial fetch) are not kept.
      await this.dropUnpinned(fetched);
      throw error;
    }
    if (fetched.length > 0) {
      if (this.keepFetched === 'pin') await this.pinCid(parsed);
      else if (this.keepFetched === 'drop') await this.dropUnpinned(fetched);
    }
    return bytes;
  }

  async getBlock(cid: string): Promise<Uint8Array> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    const fetched: CID[] = [];
    try {
      const block = await getVerifiedBlock(this.source(fetched), parsed);
      // A block fetched alone is not a whole blob to pin: keep it only as long as some pin holds it.
      if (fetched.length > 0 && this.keepFetched === 'drop') await this.dropUnpinned(fetched);
      return block;
    } catch (error) {
      await this.dropUnpinned(fetched);
      throw error;
    }
  }

  async has(cid: string): Promise<boolean> {
    this.assertOpen();
    return holdsWholeBlob(this.source(), parseBlobCid(cid));
  }

  /** Pins a blob; on the private network, fetches (and verifies) the blocks this node lacks first. */
  async pin(cid: string): Promise<void> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    if (!(await holdsWholeBlob(this.source(), parsed))) {
      if (this.network === undefined) {
        throw new BlobNotFoundError(cid, { details: `pin needs every block in ${this.localDescription()}` });
      }
      const fetched: CID[] = [];
      try {
        await readVerifiedBlob(this.source(fetched), parsed);
      } catch (error) {
        await this.dropUnpinned(fetched);
        throw error;
      }
    }
    await this.pinCid(parsed);
  }

  async unpin(cid: string): Promise<void> {
    this.assertOpen();
    try {
      for await (const _ of this.helia.pins.rm(parseBlobCid(cid))) void _;
    } catch (error) {
      if (!isErrorNamed(error, 'NotFoundError')) throw error;
    }
  }

  async isPinned(cid: string): Promise<boolean> {
    this.assertOpen();
    try {
      await this.helia.pins.get(parseBlobCid(cid));
      return true;
    } catch (error) {
      if (isErrorNamed(error, 'NotFoundError')) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.helia.stop();
      await this.network?.stop();
    } finally {
      await Promise.allSettled([this.blockstore.close(), this.datastore.close()]);
    }
  }

  private localDescription(): string {
    return `the embedded blockstore in ${join(this.directory, 'blocks')}`;
  }

  /**
   * Where `readVerifiedBlob` reads blocks: the local blockstore, then (with `fetched`, on the private network) the
   * peers over bitswap, each fetched CID recorded in `fetched`. Helia checks a fetched block's hash before storing
   * it; `readVerifiedBlob` checks every block again, local or not.
   */
  private source(fetched?: CID[]): BlockSource {
    const blocks = this.helia.blockstore;
    const local = this.localDescription();
    const network = this.network;
    return {
      description: network && fetched ? `${local} or the private IPFS network` : local,
      hasBlock: async (cid) => blocks.has(cid),
      getBlock: async (cid) => {
        if (await blocks.has(cid)) return collect(blocks.get(cid, OFFLINE));
        if (network === undefined || fetched === undefined)
          throw new BlobNotFoundError(cid.toString(), { details: local });
        try {
          const block = await collect(blocks.get(cid, { signal: AbortSignal.timeout(this.fetchTimeoutMs) }));
          fetched.push(cid);
          return block;
        } catch (error) {
          const { peers, connections } = network.status();
          const up = peers.filter((peer) => peer.connected).length;
          throw new BlobNotFoundError(cid.toString(), {
            details:
              `not in ${local}, and no peer sent it within ${this.fetchTimeoutMs} ms ` +
              `(${up} of ${peers.length} configured peers connected, ${connections} connections; ${messageOf(error)})`,
          });
        }
      },
    };
  }

  /** Deletes fetched blocks that no pin holds (a failed read's, or every read's with `keepFetched: 'drop'`). */
  private async dropUnpinned(cids: CID[]): Promise<void> {
    for (const cid of cids) {
      try {
        if (!(await this.helia.pins.isPinned(cid))) await this.helia.blockstore.delete(cid);
      } catch {
        // Pinned meanwhile, or already gone: nothing to drop.
      }
    }
  }

  /** Pins recursively (the walk reads local blocks: a missing one fails at once). */
  private async pinCid(cid: CID): Promise<void> {
    try {
      for await (const _ of this.helia.pins.add(cid, PIN_OFFLINE)) void _;
    } catch (error) {
      if (!isErrorNamed(error, 'AlreadyPinnedError')) throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BlobStoreClosedError('embedded IPFS store');
  }
}
