import { expect } from 'chai';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import {
  KuboBlobStore,
  BlobIntegrityError,
  BlobNotFoundError,
  BlobStoreClosedError,
  BlobStoreError,
  CidMismatchError,
  InvalidCidError,
  IpfsApiError,
} from '../../blobs/src';
import { KuboStandIn } from './kuboStandIn';
import { pseudoRandomBytes, referenceDag } from './referenceDag';
import { rejectionOf } from './rejectionOf';

/**
 * The Kubo adapter against KuboStandIn (./kuboStandIn.ts): a STAND-IN HTTP server on 127.0.0.1 that answers the
 * Kubo RPC endpoints the adapter calls, because no Kubo can run here. The adapter's real kubo-rpc-client requests
 * (multipart upload, query parameters) and its response parsing are exercised; Kubo itself is not.
 */
describe('blobs: Kubo blob store (against a Kubo RPC stand-in)', function () {
  this.timeout(30_000);
  const snapshot = new TextEncoder().encode(JSON.stringify({ deviceId: `0x${'cd'.repeat(32)}`, seq: 3 }));
  const manifest = pseudoRandomBytes(300 * 1024, 5);
  let kubo: KuboStandIn;
  let store: KuboBlobStore;

  beforeEach(async () => {
    kubo = await KuboStandIn.start();
    store = new KuboBlobStore({ url: kubo.url, timeoutMs: 5_000 });
  });

  afterEach(async () => {
    await store.close();
    await kubo.stop();
  });

  it('adds with cid-version=1, raw-leaves=true and pin=true, and gets the rawCidV1 back', async () => {
    const cid = await store.add(snapshot);
    expect(cid).to.equal(rawCidV1(snapshot));
    const [add] = kubo.requestsTo('add');
    expect(add, 'one /api/v0/add request').to.not.equal(undefined);
    expect(Object.fromEntries(add!.query)).to.include({
      'cid-version': '1',
      'raw-leaves': 'true',
      chunker: 'size-262144',
      hash: 'sha2-256',
      pin: 'true',
    });
    expect(kubo.pins.has(cid), 'pinned by the add').to.equal(true);
    expect(Buffer.from(kubo.blocks.get(cid)!).equals(Buffer.from(snapshot))).to.equal(true);
  });

  it('reads back through /api/v0/block/get and verifies the bytes', async () => {
    const cid = await store.add(snapshot);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(snapshot))).to.equal(true);
    expect(kubo.requestsTo('block/get').map((request) => request.query.get('arg'))).to.deep.equal([cid]);
  });

  it('adds and reads back more than 256 KiB as a UnixFS DAG, block by block', async () => {
    const cid = await store.add(manifest);
    const expected = referenceDag(manifest);
    expect(cid).to.equal(expected.cid);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(manifest))).to.equal(true);
    const fetched = kubo.requestsTo('block/get').map((request) => request.query.get('arg'));
    expect(fetched).to.deep.equal([expected.cid, ...expected.leaves]);
  });

  it('refuses wrong bytes that Kubo returns for a CID', async () => {
    const cid = await store.add(snapshot);
    kubo.tampered.set(cid, new TextEncoder().encode('{"deviceId":"0xforged","seq":3}'));
    const error = await rejectionOf(store.get(cid));
    expect(error).to.be.instanceOf(BlobIntegrityError);
    expect(error.message).to.include(cid).and.to.include(`Kubo at ${kubo.url}`);
  });

  it('refuses a large blob when one leaf comes back wrong, or the wrong size', async () => {
    const cid = await store.add(manifest);
    const leaf = referenceDag(manifest).leaves[1]!;
    const forged = Buffer.from(kubo.blocks.get(leaf)!);
    forged[0] ^= 0xff;
    kubo.tampered.set(leaf, forged);
    expect(await rejectionOf(store.get(cid))).to.be.instanceOf(BlobIntegrityError);

    kubo.tampered.set(leaf, kubo.blocks.get(leaf)!.subarray(1));
    const error = await rejectionOf(store.get(cid));
    expect(error).to.be.instanceOf(BlobIntegrityError);
    expect(error.message).to.include(leaf);
  });

  it('refuses a CID that names a UnixFS directory, not a file', async () => {
    const emptyDirectory = 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354'; // `ipfs object new unixfs-dir`, v1
    kubo.blocks.set(emptyDirectory, Uint8Array.from([0x0a, 0x02, 0x08, 0x01]));
    const error = await rejectionOf(store.get(emptyDirectory));
    expect(error).to.be.instanceOf(InvalidCidError);
    expect(error.message).to.include('UnixFS directory');
  });

  it('refuses the CID of a node that imports with other settings', async () => {
    kubo.forcedChunkBytes = 1024 * 1024; // e.g. Import.UnixFSChunker=size-1048576
    const error = await rejectionOf(store.add(manifest));
    expect(error).to.be.instanceOf(CidMismatchError);
    const oneMiBChunks = referenceDag(manifest, 1024 * 1024).cid; // a single raw block
    expect(error.message).to.include(referenceDag(manifest).cid).and.to.include(oneMiBChunks);
  });

  it('gives BlobNotFoundError for a CID Kubo does not have, and has() asks offline', async () => {
    const missing = rawCidV1(new TextEncoder().encode('never added'));
    const error = await rejectionOf(store.get(missing));
    expect(error).to.be.instanceOf(BlobNotFoundError);
    expect(error.message).to.include(missing).and.to.include('could not find');
    expect(await store.has(missing)).to.equal(false);
    const cid = await store.add(manifest);
    expect(await store.has(cid)).to.equal(true);
    const stats = kubo.requestsTo('block/stat');
    expect(stats.length).to.be.greaterThan(1);
    expect(stats.every((request) => request.query.get('offline') === 'true')).to.equal(true);
  });

  it('pins with /api/v0/pin/add, unpins with pin/rm and asks pin/ls', async () => {
    const cid = await store.add(snapshot);
    expect(await store.isPinned(cid)).to.equal(true);
    await store.unpin(cid);
    expect(kubo.pins.has(cid)).to.equal(false);
    expect(await store.isPinned(cid)).to.equal(false);
    await store.unpin(cid);

    await store.pin(cid);
    const [pinAdd] = kubo.requestsTo('pin/add');
    expect(pinAdd?.query.get('arg')).to.equal(cid);
    expect(pinAdd?.query.get('recursive')).to.equal('true');
    expect(kubo.pins.has(cid)).to.equal(true);
    expect(await store.isPinned(cid)).to.equal(true);
    expect(kubo.requestsTo('pin/ls').every((request) => request.query.get('type') === 'recursive')).to.equal(true);
    expect(await rejectionOf(store.pin(rawCidV1(new Uint8Array([1]))))).to.be.instanceOf(BlobNotFoundError);
  });

  it('names the URL and endpoint when Kubo is unreachable, and refuses a non-http URL', async () => {
    const unreachable = new KuboBlobStore({ url: 'http://127.0.0.1:9', timeoutMs: 2_000 });
    const error = await rejectionOf(unreachable.add(snapshot));
    expect(error).to.be.instanceOf(IpfsApiError);
    expect(error.message).to.include('http://127.0.0.1:9').and.to.include('/api/v0/add');

    const badUrl = () => new KuboBlobStore({ url: 'ftp://example.org' });
    expect(badUrl).to.throw(BlobStoreError, /IPFS_API_URL/);
  });

  it('refuses every call after close', async () => {
    await store.close();
    expect(await rejectionOf(store.get(rawCidV1(snapshot)))).to.be.instanceOf(BlobStoreClosedError);
  });
});
