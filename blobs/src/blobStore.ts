/**
 * The oracle's one storage interface for bulky data (full snapshots, batch manifests): content-addressed blobs on
 * IPFS. Two adapters implement it: the embedded Helia node (`HeliaBlobStore`, the default) and an external Kubo
 * node (`KuboBlobStore`, when `IPFS_API_URL` is set). `createBlobStore` picks one.
 *
 * A blob's CID is exactly what `ipfs add --cid-version 1 --raw-leaves` gives for the same bytes (Kubo's default
 * 256 KiB chunker and 174 links per node): up to 256 KiB it is one raw block (CIDv1, raw codec 0x55, sha2-256,
 * base32 `bafkrei…`, the same as twin-core's `rawCidV1`); above, a UnixFS file DAG with raw leaves (`bafybei…`).
 *
 * @example
 * const store: BlobStore = await createBlobStore({ dataDir, ipfsApiUrl })
 * const cid = await store.add(bytes)
 * const same = await store.get(cid) // verified against cid
 */
export interface BlobStore {
  /** `'embedded'` (Helia in-process) or `'kubo'` (Kubo RPC API). */
  readonly kind: 'embedded' | 'kubo';

  /**
   * One line saying what the store is, for health checks and start-up logs (no secret in it).
   *
   * @example
   * store.describe() // 'embedded Helia node on the private IPFS network (peer 12D3KooW…, 1 of 2 peers connected)'
   */
  describe(): string;

  /**
   * Stores bytes and pins them (recursively), so nothing the oracle anchored is collected. Idempotent: adding the
   * same bytes again returns the same CID and keeps one pin.
   *
   * @returns the CIDv1 (base32) of the bytes
   * @throws BlobTooLargeError above {@link MAX_BLOB_BYTES}
   * @example
   * const cid = await store.add(new TextEncoder().encode(JSON.stringify(snapshot))) // 'bafkrei…'
   */
  add(bytes: Uint8Array): Promise<string>;

  /**
   * Reads a blob back. Every block is hashed and compared with the CID that names it (and a UnixFS node's sizes
   * with its children) before any byte is returned.
   *
   * @throws InvalidCidError for a CID the store cannot produce (CIDv0, another codec or hash)
   * @throws BlobNotFoundError when the blob or one of its blocks is missing
   * @throws BlobIntegrityError when bytes do not match their CID
   * @example
   * const bytes = await store.get('bafkrei…')
   */
  get(cid: string): Promise<Uint8Array>;

  /**
   * One block as it is stored, hashed and compared with its CID before it is returned: for a blob up to 256 KiB the
   * blob itself (a raw block), for a larger one its dag-pb root (the UnixFS node linking the leaves), or any leaf. What
   * an IPFS trustless gateway serves as `application/vnd.ipld.raw`.
   *
   * @throws InvalidCidError for a CID the store cannot produce (CIDv0, another codec or hash)
   * @throws BlobNotFoundError when the block is missing
   * @throws BlobIntegrityError when the bytes do not match the CID
   * @example
   * const block = await store.getBlock('bafkrei…') // sha2-256(block) is the CID's digest
   */
  getBlock(cid: string): Promise<Uint8Array>;

  /**
   * Whether every block of the blob is held by the store (no network lookup). Inner UnixFS nodes are read and
   * verified to find the leaves; leaf bytes are verified only by `get`.
   *
   * @example
   * if (!(await store.has(cid))) await store.add(bytes)
   */
  has(cid: string): Promise<boolean>;

  /**
   * Pins a blob already in the store (recursively). A no-op when it is pinned already.
   *
   * @example
   * await store.pin(cid)
   */
  pin(cid: string): Promise<void>;

  /**
   * Removes the blob's pin so a garbage collection may delete it. A no-op when it is not pinned.
   *
   * @example
   * await store.unpin(cid)
   */
  unpin(cid: string): Promise<void>;

  /**
   * Whether the blob is pinned as a root (recursively), by `add` or `pin`.
   *
   * @example
   * expect(await store.isPinned(cid)).to.equal(true)
   */
  isPinned(cid: string): Promise<boolean>;

  /**
   * Releases the store (stops Helia and closes its files); later calls throw BlobStoreClosedError. Idempotent.
   *
   * @example
   * await store.close()
   */
  close(): Promise<void>;
}

/**
 * The largest blob the store adds or reads (64 MiB): far above a snapshot (10–200 KB) or a batch manifest, and a
 * bound on what a lying node can make the oracle buffer.
 *
 * @example
 * if (bytes.length > MAX_BLOB_BYTES) splitManifest(bytes)
 */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
