import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type BlobStore, HeliaBlobStore } from '../../blobs/src';
import { createDocumentCache } from '../../api/src/views/createDocumentCache';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('API document cache (real Helia store)', function () {
  let dataDir: string;
  let helia: HeliaBlobStore;
  let reads: string[];
  let store: BlobStore;

  before(async function () {
    dataDir = mkdtempSync(join(tmpdir(), 'twin-doc-cache-'));
    helia = await HeliaBlobStore.open({ dataDir });
    // The real store, with its reads counted.
    store = Object.assign(Object.create(helia) as BlobStore, {
      get: (cid: string) => {
        reads.push(cid);
        return helia.get(cid);
      },
    });
  });
  beforeEach(function () {
    reads = [];
  });
  after(async function () {
    await helia.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads a document from IPFS once, then from memory, and counts both', async function () {
    const cid = await helia.add(encode({ schemaVersion: 1, name: 'pi-1' }));
    const documents = createDocumentCache({ store, maxBytes: 1024 * 1024 });
    const [first, second] = await Promise.all([documents.read(cid, 2_000), documents.read(cid, 2_000)]);
    const third = await documents.read(cid, 2_000);
    expect(first).to.deep.equal({ value: { schemaVersion: 1, name: 'pi-1' }, error: null });
    expect(second.value).to.deep.equal(first.value);
    expect(third.value).to.equal(first.value);
    expect(reads).to.deep.equal([cid]);
    expect(documents.stats()).to.include({ entries: 1, hits: 1, misses: 2 });
  });

  it('drops the least recently read document when over its size, and never holds one above a quarter of it', async function () {
    const cids = [];
    for (let i = 0; i < 5; i++) cids.push(await helia.add(encode({ i, pad: 'x'.repeat(80) })));
    const size = encode({ i: 0, pad: 'x'.repeat(80) }).length;
    const documents = createDocumentCache({ store, maxBytes: size * 4 + Math.floor(size / 2) });
    for (const cid of cids.slice(0, 4)) await documents.read(cid, 2_000);
    await documents.read(cids[0]!, 2_000); // now the most recent
    await documents.read(cids[4]!, 2_000); // over the limit: cids[1] goes
    expect(documents.stats()).to.include({ entries: 4, bytes: size * 4 });
    reads = [];
    await documents.read(cids[0]!, 2_000);
    await documents.read(cids[1]!, 2_000);
    expect(reads).to.deep.equal([cids[1]]);

    const big = await helia.add(encode({ pad: 'y'.repeat(size * 2) }));
    await documents.read(big, 2_000);
    await documents.read(big, 2_000);
    expect(reads.filter((cid) => cid === big)).to.have.length(2);
  });

  it('does not cache a failure: a missing or non-object document is read again and its error named', async function () {
    const documents = createDocumentCache({ store, maxBytes: 1024 * 1024 });
    const array = await helia.add(encode([1, 2]));
    expect(await documents.read(array, 2_000)).to.deep.equal({
      value: null,
      error: 'the document is not a JSON object',
    });
    const missing = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
    const result = await documents.read(missing, 2_000);
    expect(result.value).to.equal(null);
    expect(result.error).to.be.a('string').and.not.equal('');
    await documents.read(missing, 2_000);
    expect(reads.filter((cid) => cid === missing)).to.have.length(2);
    expect(documents.stats().entries).to.equal(0);
  });

  it('with no memory (0 bytes) reads IPFS every time', async function () {
    const cid = await helia.add(encode({ n: 1 }));
    const documents = createDocumentCache({ store, maxBytes: 0 });
    await documents.read(cid, 2_000);
    await documents.read(cid, 2_000);
    expect(reads).to.deep.equal([cid, cid]);
  });
});
