import type { KuboRPCClient } from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import type { BlobStore } from './blobStore';
import { KUBO_ADD_PARAMETERS, assertBlobSize, computeBlobCid, parseBlobCid } from './cid';
import { getVerifiedBlock, holdsWholeBlob, readVerifiedBlob, type BlockSource } from './dag';
import {
  BlobNotFoundError,
  BlobStoreClosedError,
  BlobStoreError,
  CidMismatchError,
  IpfsApiError,
  messageOf,
} from './errors';

/**
 * Options of {@link KuboBlobStore}.
 *
 * @example
 * const options: KuboBlobStoreOptions = { url: 'http://127.0.0.1:5001', timeoutMs: 10_000 }
 */
export type KuboBlobStoreOptions = {
  /** The Kubo RPC API, e.g. `http://127.0.0.1:5001` (`IPFS_API_URL`). */
  url: string;
  /** How long one RPC call may take, in ms; a `get` may wait this long while Kubo looks for a block (default 30 s). */
  timeoutMs?: number | undefined;
};

/**
 * Default per-call time limit (30 s).
 *
 * @example
 * new KuboBlobStore({ url, timeoutMs: DEFAULT_KUBO_TIMEOUT_MS * 2 })
 */
export const DEFAULT_KUBO_TIMEOUT_MS = 30_000;

/** Kubo's error messages for a block it does not have (offline) or could not find (online, until the timeout). */
const NOT_FOUND = /not found|could not find|not pinned|no link named|context deadline exceeded/i;

/** Extra time the client waits beyond the `timeout` sent to Kubo, so Kubo's own answer arrives first. */
const CLIENT_GRACE_MS = 2_000;

/** True when Kubo answered that it does not have (or could not find in time) what was asked. */
function isNotFound(error: unknown): boolean {
  return error instanceof Error && NOT_FOUND.test(error.message);
}

/**
 * The external blob store: a Kubo node through its RPC API (`kubo-rpc-client`), used when `IPFS_API_URL` is set.
 * `add` sends `cid-version=1, raw-leaves=true, chunker=size-262144, hash=sha2-256, pin=true` (so Kubo pins what it
 * adds, atomically) and checks the CID Kubo returns against the one computed locally; `get` fetches each block
 * with `/api/v0/block/get` and verifies it against its CID, so a lying or broken node cannot hand back other bytes;
 * `has` asks `/api/v0/block/stat` with `offline=true` (no network lookup); pins use `/api/v0/pin/{add,rm,ls}`.
 *
 * @example
 * const store = new KuboBlobStore({ url: process.env.IPFS_API_URL! })
 * const cid = await store.add(bytes)
 * const same = await store.get(cid)
 */
export class KuboBlobStore implements BlobStore {
  readonly kind = 'kubo' as const;
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly client: KuboRPCClient;
  private readonly source: BlockSource;
  private closed = false;

  constructor(options: KuboBlobStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`protocol ${url.protocol}`);
    } catch (error) {
      throw new BlobStoreError('IPFS_API_URL must be an http(s) URL of a Kubo RPC API.', {
        details: `got "${options.url}" (${messageOf(error)})`,
      });
    }
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_KUBO_TIMEOUT_MS;
    // Loaded only for Kubo (0.26 s at start otherwise).
    const { create } = require('kubo-rpc-client') as typeof import('kubo-rpc-client');
    this.client = create({ url });
    this.source = {
      description: `Kubo at ${this.url}`,
      getBlock: (cid) => this.call('block/get', cid, (options) => this.client.block.get(cid, options)),
      hasBlock: async (cid) => {
        try {
          await this.call('block/stat', cid, (options) => {
            // Kubo's global `offline` option; kubo-rpc-client sends unknown options as query parameters.
            const offline = { ...options, offline: true };
            return this.client.block.stat(cid, offline);
          });
          return true;
        } catch (error) {
          if (error instanceof BlobNotFoundError) return false;
          throw error;
        }
      },
    };
  }

  describe(): string {
    return `Kubo at ${this.url}`;
  }

  async add(bytes: Uint8Array): Promise<string> {
    this.assertOpen();
    assertBlobSize(bytes);
    const expected = await computeBlobCid(bytes);
    const result = await this.call('add', undefined, (options) =>
      this.client.add(bytes, { ...options, ...KUBO_ADD_PARAMETERS, pin: true }),
    );
    const actual = result.cid.toString();
    if (actual !== expected) throw new CidMismatchError(expected, actual, this.source.description);
    return actual;
  }

  async get(cid: string): Promise<Uint8Array> {
    this.assertOpen();
    return readVerifiedBlob(this.source, parseBlobCid(cid));
  }

  async getBlock(cid: string): Promise<Uint8Array> {
    this.assertOpen();
    return getVerifiedBlock(this.source, parseBlobCid(cid));
  }

  async has(cid: string): Promise<boolean> {
    this.assertOpen();
    return holdsWholeBlob(this.source, parseBlobCid(cid));
  }

  async pin(cid: string): Promise<void> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    await this.call('pin/add', parsed, (options) => this.client.pin.add(parsed, { ...options, recursive: true }));
  }

  async unpin(cid: string): Promise<void> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    try {
      await this.call('pin/rm', parsed, (options) => this.client.pin.rm(parsed, { ...options, recursive: true }));
    } catch (error) {
      if (!(error instanceof BlobNotFoundError)) throw error;
    }
  }

  async isPinned(cid: string): Promise<boolean> {
    this.assertOpen();
    const parsed = parseBlobCid(cid);
    try {
      return await this.call('pin/ls', parsed, async (options) => {
        for await (const pin of this.client.pin.ls({ ...options, paths: parsed, type: 'recursive' })) {
          if (pin.cid.equals(parsed)) return true;
        }
        return false;
      });
    } catch (error) {
      if (error instanceof BlobNotFoundError) return false;
      throw error;
    }
  }

  /** Nothing to release (every call is one HTTP request); later calls throw BlobStoreClosedError. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * One RPC call with the time limit (sent to Kubo as `timeout`, and enforced here by an abort signal a little
   * later); Kubo's "not found" answers become BlobNotFoundError, anything else (unreachable, no answer, an error
   * status) IpfsApiError naming the URL and endpoint.
   */
  private async call<T>(
    endpoint: string,
    cid: CID | undefined,
    action: (options: { signal: AbortSignal; timeout: number }) => Promise<T>,
  ): Promise<T> {
    try {
      return await action({ signal: AbortSignal.timeout(this.timeoutMs + CLIENT_GRACE_MS), timeout: this.timeoutMs });
    } catch (error) {
      if (error instanceof BlobStoreError) throw error;
      if (cid !== undefined && isNotFound(error)) {
        throw new BlobNotFoundError(cid.toString(), { details: `${this.source.description}: ${messageOf(error)}` });
      }
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new IpfsApiError(this.url, endpoint, { details: `${messageOf(error)}${cause}`, cause: error });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BlobStoreClosedError(`Kubo store at ${this.url}`);
  }
}
