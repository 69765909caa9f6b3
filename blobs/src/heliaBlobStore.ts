import { join } from 'node:path';
import { unixfs, type UnixFS } from '@helia/unixfs';
import { createHeliaLight, type Helia } from 'helia';
import type { CID } from 'multiformats/cid';
import type { BlobStore } from './blobStore';
import { KUBO_IMPORT_OPTIONS, assertBlobSize, parseBlobCid } from './cid';
import { holdsWholeBlob, readVerifiedBlob, type BlockSource } from './dag';
import { BlobNotFoundError, BlobStoreClosedError, BlobStoreError, messageOf } from './errors';
import { FsBlockstore, FsDatastore } from './esmPackages.mjs';

/**
 * Options of {@link HeliaBlobStore.open}.
 *
 * @example
 * const options: HeliaBlobStoreOptions = { dataDir: '.data/oracle' }
 */
export type HeliaBlobStoreOptions = {
  /** The oracle's data directory; blocks go to `<dataDir>/ipfs/blocks`, pins and metadata to `<dataDir>/ipfs/datastore`. */
  dataDir: string;
};

/** Every read goes to the local blockstore only: a missing block fails at once instead of being looked up. */
const OFFLINE = { offline: true } as const;

/** True for the errors Helia throws when a pin is already there or not there. */
function isErrorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/**
 * The embedded blob store: Helia in-process (`createHeliaLight`: no libp2p, no routers, no block brokers, so it
 * never opens a socket or dials anything) over a persistent file blockstore (blockstore-fs) and datastore
 * (datastore-fs, which holds the pins). Data survives a restart: close, open the same directory, read back.
 * One process per data directory (Helia takes no lock on it).
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
  private readonly source: BlockSource;

  private constructor(
    private readonly helia: Helia,
    private readonly blockstore: InstanceType<typeof FsBlockstore>,
    private readonly datastore: InstanceType<typeof FsDatastore>,
    readonly directory: string,
  ) {
    this.fs = unixfs(helia);
    const blocks = helia.blockstore;
    this.source = {
      description: `the embedded blockstore in ${join(directory, 'blocks')}`,
      hasBlock: async (cid) => blocks.has(cid),
      getBlock: async (cid) => {
        if (!(await blocks.has(cid))) throw new BlobNotFoundError(cid.toString(), { details: this.source.description });
        const chunks: Uint8Array[] = [];
        for await (const chunk of blocks.get(cid, OFFLINE)) chunks.push(chunk);
        return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      },
    };
  }

  /**
   * Opens (creating when missing) the blockstore and datastore under `<dataDir>/ipfs` and starts Helia offline.
   *
   * @throws BlobStoreError when the directory cannot be used
   * @example
   * const store = await HeliaBlobStore.open({ dataDir: '/var/lib/oracle' })
   */
  static async open(options: HeliaBlobStoreOptions): Promise<HeliaBlobStore> {
    const directory = join(options.dataDir, 'ipfs');
    const blockstore = new FsBlockstore(join(directory, 'blocks'));
    const datastore = new FsDatastore(join(directory, 'datastore'));
    try {
      await blockstore.open();
      await datastore.open();
      const helia = createHeliaLight({ blockstore, datastore });
      await helia.start();
      return new HeliaBlobStore(helia, blockstore, datastore, directory);
    } catch (error) {
      await Promise.allSettled([blockstore.close(), datastore.close()]);
      throw new BlobStoreError(`Cannot open the embedded IPFS store in ${directory}.`, {
        details: messageOf(error),
        cause: error,
      });
    }
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
    return readVerifiedBlob(this.source, parseBlobCid(cid));
  }

  async has(cid: string): Promise<boolean> {
    this.assertOpen();
    return holdsWholeBlob(this.source, parseBlobCid(cid));
  }

  async pin(cid: string): Promise<void> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    if (!(await holdsWholeBlob(this.source, parsed))) {
      throw new BlobNotFoundError(cid, { details: `pin needs every block in ${this.source.description}` });
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
    } finally {
      await Promise.allSettled([this.blockstore.close(), this.datastore.close()]);
    }
  }

  /** Pins recursively (the walk reads local blocks: with no block broker, a missing one fails at once). */
  private async pinCid(cid: CID): Promise<void> {
    try {
      for await (const _ of this.helia.pins.add(cid)) void _;
    } catch (error) {
      if (!isErrorNamed(error, 'AlreadyPinnedError')) throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BlobStoreClosedError('embedded IPFS store');
  }
}
