import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import {
  HeliaBlobStore,
  BlobIntegrityError,
  BlobNotFoundError,
  BlobStoreClosedError,
  BlobStoreError,
  InvalidCidError,
} from '../../blobs/src';
import { pseudoRandomBytes, referenceDag } from './referenceDag';
import { rejectionOf } from './rejectionOf';

/** Every file under a directory, recursively. */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** The block file in the fs blockstore whose content is exactly `bytes`. */
async function blockFileHolding(dataDir: string, bytes: Uint8Array): Promise<string> {
  for (const file of await filesUnder(join(dataDir, 'ipfs', 'blocks'))) {
    if (Buffer.compare(await readFile(file), bytes) === 0) return file;
  }
  throw new Error('no block file holds these bytes');
}

/** Network handles (TCP, UDP, pipes) the process holds right now. */
function networkHandles(): string[] {
  return process.getActiveResourcesInfo().filter((name) => /TCP|UDP|Pipe/i.test(name));
}

describe('blobs: embedded Helia blob store', function () {
  this.timeout(60_000);
  const snapshot = new TextEncoder().encode(JSON.stringify({ deviceId: `0x${'ab'.repeat(32)}`, seq: 7, cpu: 0.25 }));
  const large = pseudoRandomBytes(700 * 1024, 11);
  let dataDir: string;
  let store: HeliaBlobStore | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'blobstore-'));
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds small data under its rawCidV1, pins it and reads it back', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const cid = await store.add(snapshot);
    expect(cid).to.equal(rawCidV1(snapshot));
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(snapshot))).to.equal(true);
    expect(await store.has(cid)).to.equal(true);
    expect(await store.isPinned(cid)).to.equal(true);
    expect(await store.add(snapshot)).to.equal(cid);
  });

  it("stores more than 256 KiB as `ipfs add`'s UnixFS DAG with raw leaves and reads it back verified", async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const cid = await store.add(large);
    const expected = referenceDag(large);
    expect(cid).to.equal(expected.cid);
    expect(expected.leaves).to.have.length(3);
    const blockFiles = await filesUnder(join(dataDir, 'ipfs', 'blocks'));
    expect(blockFiles).to.have.length(4); // 3 raw leaves + the dag-pb root
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(large))).to.equal(true);
    expect(await store.has(cid)).to.equal(true);
    expect(await store.isPinned(cid)).to.equal(true);
  });

  it('keeps blobs and pins across a restart on the same data directory', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const small = await store.add(snapshot);
    const big = await store.add(large);
    await store.close();

    store = await HeliaBlobStore.open({ dataDir });
    expect(Buffer.from(await store.get(small)).equals(Buffer.from(snapshot))).to.equal(true);
    expect(Buffer.from(await store.get(big)).equals(Buffer.from(large))).to.equal(true);
    expect(await store.isPinned(small)).to.equal(true);
    expect(await store.isPinned(big)).to.equal(true);
  });

  it('fails at once with BlobNotFoundError for a CID it does not hold (no network lookup)', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const missing = rawCidV1(new TextEncoder().encode('never stored'));
    const started = Date.now();
    const error = await rejectionOf(store.get(missing));
    expect(error).to.be.instanceOf(BlobNotFoundError);
    expect(error.message).to.include(missing).and.to.include('not in the store');
    expect(Date.now() - started).to.be.below(2_000);
    expect(await store.has(missing)).to.equal(false);
    expect(await store.isPinned(missing)).to.equal(false);
    expect(await rejectionOf(store.pin(missing))).to.be.instanceOf(BlobNotFoundError);
  });

  it('reports a DAG with a missing leaf as not held and not readable', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const cid = await store.add(large);
    await rm(await blockFileHolding(dataDir, large.subarray(256 * 1024, 512 * 1024)));
    expect(await store.has(cid)).to.equal(false);
    expect(await rejectionOf(store.get(cid))).to.be.instanceOf(BlobNotFoundError);
  });

  it('detects a corrupted block file on read and returns no bytes', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const cid = await store.add(snapshot);
    const file = await blockFileHolding(dataDir, snapshot);
    const tampered = Buffer.from(snapshot);
    tampered[10] ^= 0x01; // same length, one bit flipped
    await writeFile(file, tampered);

    const error = await rejectionOf(store.get(cid));
    expect(error).to.be.instanceOf(BlobIntegrityError);
    expect(error.message).to.include(cid).and.to.include('fail verification').and.to.include('embedded blockstore');
  });

  it('detects a corrupted leaf of a large blob on read', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const cid = await store.add(large);
    const lastLeaf = large.subarray(512 * 1024);
    const file = await blockFileHolding(dataDir, lastLeaf);
    const tampered = Buffer.from(lastLeaf);
    tampered[tampered.length - 1] ^= 0x80;
    await writeFile(file, tampered);

    const error = await rejectionOf(store.get(cid));
    expect(error).to.be.instanceOf(BlobIntegrityError);
    expect(error.message).to.include(cid).and.to.include(referenceDag(large).leaves[2]);
  });

  it('unpins and pins again; unpinning twice is a no-op', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    const cid = await store.add(large);
    await store.unpin(cid);
    expect(await store.isPinned(cid)).to.equal(false);
    await store.unpin(cid);
    expect(await store.has(cid)).to.equal(true);
    await store.pin(cid);
    await store.pin(cid);
    expect(await store.isPinned(cid)).to.equal(true);
  });

  it('refuses CIDs it cannot verify, and every call after close', async () => {
    store = await HeliaBlobStore.open({ dataDir });
    expect(await rejectionOf(store.get('QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'))).to.be.instanceOf(
      InvalidCidError,
    );
    const cid = await store.add(snapshot);
    await store.close();
    await store.close();
    expect(await rejectionOf(store.get(cid))).to.be.instanceOf(BlobStoreClosedError);
    expect(await rejectionOf(store.add(snapshot))).to.be.instanceOf(BlobStoreClosedError);
  });

  it('opens no socket: networking is off', async () => {
    const before = networkHandles();
    store = await HeliaBlobStore.open({ dataDir });
    await store.add(large);
    await store.get(rawCidV1(snapshot)).catch(() => undefined);
    expect(networkHandles()).to.deep.equal(before);
  });

  it('names the directory when it cannot be used', async () => {
    const file = join(dataDir, 'not-a-directory');
    await writeFile(file, 'x');
    const error = await rejectionOf(HeliaBlobStore.open({ dataDir: file }));
    expect(error).to.be.instanceOf(BlobStoreError);
    expect(error.message).to.include(join(file, 'ipfs'));
  });
});
