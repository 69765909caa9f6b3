import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethers, network } from 'hardhat';
import { createBlobStore, type BlobStore } from '../../../blobs/src';
import { anchorBatch } from '../../../oracle/src/anchor/anchorBatch';
import { Anchorer } from '../../../oracle/src/anchor/anchorer';
import type { PendingSnapshot } from '../../../oracle/src/anchor/batcher';
import { unbatchedSnapshots, unfinishedBatches } from '../../../oracle/src/anchor/recovery';
import { claimBatchSnapshots, listBatches } from '../../../oracle/src/index/batches';
import { insertSnapshot, listBatchSnapshots } from '../../../oracle/src/index/snapshots';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { registryFixture } from '../../fixtures';
import { deviceIdOf, tempIndex } from '../index/tempIndex';

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
  let temp: ReturnType<typeof tempIndex>;
  let blobDirectory: string;
  let store: BlobStore;
  let pending: PendingSnapshot[];

  beforeEach(async function () {
    temp = tempIndex();
    blobDirectory = mkdtempSync(join(tmpdir(), 'anchor-batch-blobs-'));
    store = await createBlobStore({ dataDir: blobDirectory });
    pending = [1, 2, 3].map((seq) => {
      const row = {
        deviceId: deviceIdOf(seq),
        seq,
        collectedAt: Date.now(),
        hash: ethers.id(`snapshot-${seq}`),
        cid: `bafkrei-${seq}`,
        receivedAt: Date.now() - 60_000, // older than any batch age: what a restart's journal replay holds
      };
      insertSnapshot(temp.index, row);
      return {
        deviceId: BigInt(row.deviceId),
        sequence: BigInt(seq),
        snapshotHash: row.hash as Hex,
        cid: row.cid,
        receivedAt: row.receivedAt,
      };
    });
  });
  afterEach(async function () {
    await store.close();
    rmSync(blobDirectory, { recursive: true, force: true });
    temp.close();
  });

  describe('when a second batch closes while the first one’s manifest upload is pending', function () {
    it('finds the snapshots claimed: they are anchored once, in one batch', async function () {
      const { anchor, wallet } = await loadFixture(anchorFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 1, pollMs: 10 });
      const fromBlock = await ethers.provider.getBlockNumber();
      const { index } = temp;

      const first = anchorBatch({ snapshots: pending, index, store, anchorer });
      // The first call is at its first await (the manifest upload). A restart's recovery adds what it sees unbatched,
      // and the batcher closes a batch with it and with the same snapshots again.
      const recovered = unbatchedSnapshots(index);
      const second = anchorBatch({ snapshots: [...recovered, ...pending], index, store, anchorer });
      const [anchored, again] = await withBlocks(() => Promise.all([first, second]));

      expect(recovered).to.deep.equal([]);
      expect(again).to.equal(undefined);
      expect(anchored).to.not.equal(undefined);
      const batches = listBatches(index);
      expect(batches.map((batch) => [batch.status, batch.leafCount])).to.deep.equal([['confirmed', 3]]);
      const events = await anchor.queryFilter(anchor.filters.BatchAnchored(), fromBlock + 1);
      expect(events.map((event) => [event.args.root, Number(event.args.leafCount)])).to.deep.equal([
        [anchored!.root, 3],
      ]);
      for (const leaf of listBatchSnapshots(index, batches[0]!.id)) {
        expect(await anchor.verifySnapshot(anchored!.root, leaf.proof!, leaf.deviceId, leaf.seq, leaf.hash)).to.equal(
          true,
        );
      }
    });
  });

  describe('when the oracle died after claiming a batch, before its manifest was stored', function () {
    it('resumes the claimed batch with its leaves in their order, and the snapshots stay out of new batches', async function () {
      const { anchor, wallet } = await loadFixture(anchorFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 1, pollMs: 10 });
      const { index } = temp;
      const claim = claimBatchSnapshots(
        index,
        [pending[2]!, pending[0]!].map((snapshot) => ({ deviceId: snapshot.deviceId, seq: Number(snapshot.sequence) })),
      )!;

      const [resumed] = unfinishedBatches(index);
      expect(resumed?.batchId).to.equal(claim.batch.id);
      expect(resumed?.snapshots.map((snapshot) => Number(snapshot.sequence))).to.deep.equal([3, 1]);
      expect(unbatchedSnapshots(index).map((snapshot) => Number(snapshot.sequence))).to.deep.equal([2]);
      // Every snapshot offered again to a new batch: only the free one (seq 2) is claimed.
      const fresh = await withBlocks(() => anchorBatch({ snapshots: pending, index, store, anchorer }));
      expect(fresh).to.not.equal(undefined);
      expect(listBatchSnapshots(index, fresh!.batchId).map((leaf) => leaf.seq)).to.deep.equal([2]);
      const result = await withBlocks(() =>
        anchorBatch({ snapshots: resumed!.snapshots, batchId: resumed!.batchId, index, store, anchorer }),
      );
      expect(result?.batchId).to.equal(claim.batch.id);
      expect(listBatches(index).map((batch) => [batch.status, batch.leafCount])).to.deep.equal([
        ['confirmed', 2],
        ['confirmed', 1],
      ]);
      expect(await anchor.isAnchored(result!.root)).to.equal(true);
    });
  });
});
