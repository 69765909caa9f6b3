import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { createBlobStore, HeliaBlobStore, KuboBlobStore } from '../../blobs/src';
import { KuboStandIn } from './kuboStandIn';

describe('blobs: createBlobStore', function () {
  this.timeout(30_000);
  const bytes = new TextEncoder().encode('{"batch":1}');
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'blobstore-factory-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('opens the embedded Helia store under <dataDir>/ipfs when no IPFS API URL is set', async () => {
    for (const ipfsApiUrl of [undefined, '']) {
      const store = await createBlobStore({ dataDir, ipfsApiUrl });
      try {
        expect(store).to.be.instanceOf(HeliaBlobStore);
        expect(store.kind).to.equal('embedded');
        expect(await store.add(bytes)).to.equal(rawCidV1(bytes));
      } finally {
        await store.close();
      }
    }
    expect(await readdir(join(dataDir, 'ipfs'))).to.have.members(['blocks', 'datastore']);
  });

  it('uses Kubo at IPFS_API_URL when set, writing nothing under the data directory', async () => {
    const kubo = await KuboStandIn.start(); // the Kubo RPC stand-in, not Kubo
    const store = await createBlobStore({ dataDir, ipfsApiUrl: kubo.url });
    try {
      expect(store).to.be.instanceOf(KuboBlobStore);
      expect(store.kind).to.equal('kubo');
      expect(await store.add(bytes)).to.equal(rawCidV1(bytes));
      expect(kubo.requestsTo('add')).to.have.length(1);
      expect(await readdir(dataDir)).to.deep.equal([]);
    } finally {
      await store.close();
      await kubo.stop();
    }
  });
});
