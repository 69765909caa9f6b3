import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { buildSnapshotTree } from '../../twin-core/src/merkle/snapshotTree';
import type { SnapshotLeaf } from '../../twin-core/src/merkle/snapshotLeaf';
import { hashSnapshotLeaf } from '../../twin-core/src/merkle/snapshotLeaf';
import { registryFixture } from '../fixtures';

const MANIFEST = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

function leaves(count: number, salt: string): SnapshotLeaf[] {
  return Array.from({ length: count }, (_, index) => ({
    deviceId: BigInt(ethers.keccak256(ethers.toUtf8Bytes(`device-${index % 3}`))),
    sequence: BigInt(index),
    snapshotHash: ethers.keccak256(ethers.toUtf8Bytes(`${salt}-snapshot-${index}`)) as `0x${string}`,
  }));
}

/** keccak256 of two nodes in sorted order, as MerkleProof combines them. */
function hashPair(a: string, b: string): string {
  const [low, high] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
  return ethers.keccak256(ethers.concat([low, high]));
}

async function anchoredFixture() {
  const fixture = await registryFixture();
  const batchA = leaves(8, 'a');
  const batchB = leaves(5, 'b');
  const treeA = buildSnapshotTree(batchA);
  const treeB = buildSnapshotTree(batchB);
  await fixture.anchor.connect(fixture.oracle).anchor(treeA.root, treeA.leafCount, MANIFEST);
  await fixture.anchor.connect(fixture.oracle).anchor(treeB.root, treeB.leafCount, MANIFEST);
  return { ...fixture, batchA, batchB, treeA, treeB };
}

describe('SnapshotAnchor', function () {
  describe('anchor', function () {
    describe('when the oracle anchors a new root', function () {
      it('records the batch and emits BatchAnchored', async function () {
        const { anchor, oracle } = await loadFixture(registryFixture);
        const tree = buildSnapshotTree(leaves(4, 'x'));
        await expect(anchor.connect(oracle).anchor(tree.root, 4, MANIFEST))
          .to.emit(anchor, 'BatchAnchored')
          .withArgs(1, tree.root, oracle.address, 4, MANIFEST);
        const batch = await anchor.batchOf(tree.root);
        expect(batch.batchId).to.equal(1n);
        expect(batch.leafCount).to.equal(4n);
        expect(batch.blockNumber).to.equal(BigInt(await ethers.provider.getBlockNumber()));
        expect(await anchor.isAnchored(tree.root)).to.equal(true);
        expect(await anchor.batchCount()).to.equal(1n);
      });

      it('numbers batches from 1 in anchoring order, counting none before the first', async function () {
        const { anchor, oracle } = await loadFixture(registryFixture);
        expect(await anchor.batchCount()).to.equal(0n);
        const trees = [buildSnapshotTree(leaves(2, 'first')), buildSnapshotTree(leaves(3, 'second'))];
        for (const [index, tree] of trees.entries()) {
          await expect(anchor.connect(oracle).anchor(tree.root, tree.leafCount, MANIFEST))
            .to.emit(anchor, 'BatchAnchored')
            .withArgs(index + 1, tree.root, oracle.address, tree.leafCount, MANIFEST);
          expect((await anchor.batchOf(tree.root)).batchId).to.equal(BigInt(index + 1));
        }
        expect(await anchor.batchCount()).to.equal(2n);
      });
    });

    describe('when the batch cannot be anchored', function () {
      it('reverts for a caller without the oracle role', async function () {
        const { anchor, admin, manufacturer } = await loadFixture(registryFixture);
        for (const caller of [admin, manufacturer]) {
          await expect(anchor.connect(caller).anchor(ethers.id('r'), 1, MANIFEST))
            .to.be.revertedWithCustomError(anchor, 'SnapshotAnchorUnauthorizedOracle')
            .withArgs(caller.address);
        }
      });

      it('reverts for a zero root or zero leaves', async function () {
        const { anchor, oracle } = await loadFixture(registryFixture);
        await expect(anchor.connect(oracle).anchor(ethers.ZeroHash, 1, MANIFEST))
          .to.be.revertedWithCustomError(anchor, 'SnapshotAnchorEmptyBatch')
          .withArgs(ethers.ZeroHash, 1);
        await expect(anchor.connect(oracle).anchor(ethers.id('r'), 0, MANIFEST))
          .to.be.revertedWithCustomError(anchor, 'SnapshotAnchorEmptyBatch')
          .withArgs(ethers.id('r'), 0);
      });

      it('reverts for an empty or too long manifest CID', async function () {
        const { anchor, oracle } = await loadFixture(registryFixture);
        await expect(anchor.connect(oracle).anchor(ethers.id('r'), 1, ''))
          .to.be.revertedWithCustomError(anchor, 'SnapshotAnchorInvalidManifestCid')
          .withArgs(0);
        await expect(anchor.connect(oracle).anchor(ethers.id('r'), 1, 'b'.repeat(129)))
          .to.be.revertedWithCustomError(anchor, 'SnapshotAnchorInvalidManifestCid')
          .withArgs(129);
      });

      it('reverts for a root anchored before', async function () {
        const { anchor, oracle, treeA } = await loadFixture(anchoredFixture);
        await expect(anchor.connect(oracle).anchor(treeA.root, treeA.leafCount, MANIFEST))
          .to.be.revertedWithCustomError(anchor, 'SnapshotAnchorDuplicateRoot')
          .withArgs(treeA.root, 1);
      });
    });
  });

  describe('verifySnapshot', function () {
    it('accepts every leaf of an anchored batch with its proof', async function () {
      const { anchor, batchA, treeA } = await loadFixture(anchoredFixture);
      for (const [index, leaf] of batchA.entries()) {
        expect(
          await anchor.verifySnapshot(treeA.root, treeA.proof(index), leaf.deviceId, leaf.sequence, leaf.snapshotHash),
        ).to.equal(true);
      }
    });

    it('accepts a single-leaf batch with an empty proof', async function () {
      const { anchor, oracle } = await loadFixture(registryFixture);
      const [leaf] = leaves(1, 'solo');
      const tree = buildSnapshotTree([leaf!]);
      expect(tree.root).to.equal(hashSnapshotLeaf(leaf!));
      await anchor.connect(oracle).anchor(tree.root, 1, MANIFEST);
      expect(await anchor.verifySnapshot(tree.root, [], leaf!.deviceId, leaf!.sequence, leaf!.snapshotHash)).to.equal(
        true,
      );
    });

    it('rejects a tampered leaf: another hash, sequence or device', async function () {
      const { anchor, batchA, treeA } = await loadFixture(anchoredFixture);
      const leaf = batchA[2]!;
      const proof = treeA.proof(2);
      expect(
        await anchor.verifySnapshot(treeA.root, proof, leaf.deviceId, leaf.sequence, ethers.id('forged')),
      ).to.equal(false);
      expect(
        await anchor.verifySnapshot(treeA.root, proof, leaf.deviceId, leaf.sequence + 1n, leaf.snapshotHash),
      ).to.equal(false);
      expect(
        await anchor.verifySnapshot(treeA.root, proof, leaf.deviceId + 1n, leaf.sequence, leaf.snapshotHash),
      ).to.equal(false);
    });

    it('rejects a proof from another batch, and any proof against a root never anchored', async function () {
      const { anchor, batchB, treeA, treeB } = await loadFixture(anchoredFixture);
      const leafB = batchB[1]!;
      expect(
        await anchor.verifySnapshot(treeA.root, treeB.proof(1), leafB.deviceId, leafB.sequence, leafB.snapshotHash),
      ).to.equal(false);
      const stray = buildSnapshotTree(leaves(3, 'never anchored'));
      const leaf = leaves(3, 'never anchored')[0]!;
      expect(
        await anchor.verifySnapshot(stray.root, stray.proof(0), leaf.deviceId, leaf.sequence, leaf.snapshotHash),
      ).to.equal(false);
      expect(await anchor.batchOf(stray.root)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it('rejects a forged 64-byte leaf: an inner node cannot pass as a snapshot', async function () {
      const { anchor, batchA, treeA } = await loadFixture(anchoredFixture);
      // The inner node above leaves 0 and 1 is keccak256 of 64 bytes; its proof is the leaf proof minus its first step.
      const left = hashSnapshotLeaf(batchA[0]!);
      const right = treeA.proof(0)[0]!;
      const inner = hashPair(left, right);
      const innerProof = treeA.proof(0).slice(1);
      let node = inner;
      for (const sibling of innerProof) node = hashPair(node, sibling);
      expect(node).to.equal(treeA.root); // a single-hashed 64-byte "leaf" would verify
      const [low, high] = BigInt(left) < BigInt(right) ? [left, right] : [right, left];
      expect(await anchor.verifySnapshot(treeA.root, innerProof, BigInt(low), 0n, high)).to.equal(false);
      expect(await anchor.snapshotLeaf(BigInt(low), 0n, high)).to.not.equal(inner);
    });
  });

  it('exposes the entity registry it reads the oracle role from', async function () {
    const { anchor, entities } = await loadFixture(registryFixture);
    expect(await anchor.entityRegistry()).to.equal(await entities.getAddress());
  });
});
