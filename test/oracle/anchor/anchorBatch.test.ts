import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethers, network } from 'hardhat';
import { createBlobStore, type BlobStore } from '../../../blobs/src';
import { anchorBatch } from '../../../oracle/src/anchor/anchorBatch';
import { Anchorer } from '../../../oracle/src/anchor/anchorer';
import { unbatchedSnapshots, unfinishedBatches } from '../../../oracle/src/anchor/recovery';
import {
  claimUnbatchedSnapshots,
  insertSnapshot,
  listBatches,
  listBatchSnapshots,
  readEvents,
  type Store,
} from '../../../store/src';
import { registryFixture } from '../../fixtures';
import { createTestDatabase } from '../../helpers/store';

const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

const ORACLE_KEY = ethers.Wallet.createRandom().privateKey;

async function anchorFixture() {
  const fixture = await registryFixture();
  const wallet = new ethers.Wallet(ORACLE_KEY, ethers.provider);
  await fixture.admin.sendTransaction({ to: wallet.address, value: ethers.parseEther('1') });
  await fixture.entities.grantRole(await fixture.entities.ORACLE_ROLE(), wallet.address);
  return { ...fixture, wallet };
}

/** Mines a block every few ms while `during` runs, as a chain with its own block time would. */
async function withBlocks<result>(during: () => Promise<result>): Promise<result> {
  const miner = setInterval(() => void network.provider.send('evm_mine', []), 20);
  try {
    return await during();
  } finally {
    clearInterval(miner);
  }
}

describe('anchorBatch (index, IPFS and chain together)', function () {
  this.timeout(60_000);
  let index: Store;
  let blobDirectory: string;
  let store: BlobStore;

  beforeEach(async function () {
    index = await (await createTestDatabase()).open();
    blobDirectory = mkdtempSync(join(tmpdir(), 'anchor-batch-blobs-'));
    store = await createBlobStore({ dataDir: blobDirectory });
    for (const seq of [1, 2, 3]) {
      await insertSnapshot(index, {
        deviceId: deviceIdOf(seq),
        seq,
        collectedAt: Date.now(),
        hash: ethers.id(`snapshot-${seq}`),
        cid: `bafkrei-${seq}`,
        // Older than any batch age (what a restart's journal replay holds), in seq order.
        receivedAt: Date.now() - 60_000 + seq,
      });
    }
  });
  afterEach(async function () {
    await store.close();
    rmSync(blobDirectory, { recursive: true, force: true });
    await index.close();
  });

  describe('when a second batch closes while the first one’s manifest upload is pending', function () {
    it('finds the snapshots claimed: they are anchored once, in one batch', async function () {
      const { anchor, wallet } = await loadFixture(anchorFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 1, pollMs: 10 });
      const fromBlock = await ethers.provider.getBlockNumber();

      // Two batches close at once (a restart's recovery and the batcher, or two instances): each claims from the
      // store's queue, and the claims skip each other's rows.
      const first = anchorBatch({ limit: 3, index, store, anchorer });
      const second = anchorBatch({ limit: 6, index, store, anchorer });
      const results = await withBlocks(() => Promise.all([first, second]));

      const anchored = results.filter((result) => result !== undefined);
      expect(anchored).to.have.length(1);
      expect(await unbatchedSnapshots(index)).to.deep.equal([]);
      const batches = await listBatches(index);
      expect(batches.map((batch) => [batch.status, batch.leafCount])).to.deep.equal([['confirmed', 3]]);
      const events = await anchor.queryFilter(anchor.filters.BatchAnchored(), fromBlock + 1);
      expect(events.map((event) => [event.args.root, Number(event.args.leafCount)])).to.deep.equal([
        [anchored[0]!.root, 3],
      ]);
      for (const leaf of await listBatchSnapshots(index, batches[0]!.id)) {
        expect(
          await anchor.verifySnapshot(anchored[0]!.root, leaf.proof!, leaf.deviceId, leaf.seq, leaf.hash),
        ).to.equal(true);
      }
      // The confirmation's outbox event, once.
      const outbox = (await readEvents(index, { after: 0 })).events.filter((event) => event.kind === 'anchored');
      expect(outbox.map((event) => event.payload)).to.deep.equal([{ batchId: batches[0]!.id }]);
    });
  });

  describe('when the oracle died after claiming a batch, before its manifest was stored', function () {
    it('resumes the claimed batch with its leaves in their order, and the snapshots stay out of new batches', async function () {
      const { anchor, wallet } = await loadFixture(anchorFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 1, pollMs: 10 });
      const claim = (await claimUnbatchedSnapshots(index, { limit: 2 }))!;
      expect(claim.snapshots.map((snapshot) => snapshot.seq)).to.deep.equal([1, 2]);

      // Recovery reads the database: the claimed batch, and the one snapshot still queued.
      expect(await unfinishedBatches(index)).to.deep.equal([claim.batch.id]);
      expect((await unbatchedSnapshots(index)).map((snapshot) => Number(snapshot.sequence))).to.deep.equal([3]);
      // A new batch claims only the free one (seq 3).
      const fresh = await withBlocks(() => anchorBatch({ limit: 8, index, store, anchorer }));
      expect(fresh).to.not.equal(undefined);
      expect((await listBatchSnapshots(index, fresh!.batchId)).map((leaf) => leaf.seq)).to.deep.equal([3]);
      const result = await withBlocks(() => anchorBatch({ batchId: claim.batch.id, index, store, anchorer }));
      expect(result?.batchId).to.equal(claim.batch.id);
      expect((await listBatchSnapshots(index, claim.batch.id)).map((leaf) => [leaf.seq, leaf.leafIndex])).to.deep.equal(
        [
          [1, 0],
          [2, 1],
        ],
      );
      expect((await listBatches(index)).map((batch) => [batch.status, batch.leafCount])).to.deep.equal([
        ['confirmed', 2],
        ['confirmed', 1],
      ]);
      expect(await anchor.isAnchored(result!.root)).to.equal(true);
      // Resumed again (a second start, or another instance): the same root, found on chain, nothing sent twice.
      const again = await withBlocks(() => anchorBatch({ batchId: claim.batch.id, index, store, anchorer }));
      expect(again?.root).to.equal(result!.root);
      const anchoredEvents = await anchor.queryFilter(anchor.filters.BatchAnchored());
      expect(anchoredEvents.filter((event) => event.args.root === result!.root)).to.have.length(1);
    });
  });
});
