import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { computeDeviceId } from '../../twin-core/src/identity/deviceId';
import {
  hashSnapshotLeaf,
  SNAPSHOT_LEAF_TYPES,
  snapshotLeafValues,
  type SnapshotLeaf,
} from '../../twin-core/src/merkle/snapshotLeaf';
import { buildSnapshotTree } from '../../twin-core/src/merkle/snapshotTree';
import { useFastCrypto } from '../../oracle/src/crypto/useFastCrypto';
import { javascriptCryptoBackend, setCryptoBackend } from '../../twin-core/src/crypto/cryptoBackend';
import { exampleDocuments, registryFixture } from '../fixtures';

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;
const MANIFEST_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

/** A snapshot hash that depends on `seed`. */
function snapshotHash(seed: string): Hex {
  return ethers.keccak256(ethers.toUtf8Bytes(seed)) as Hex;
}

/** Leaves covering the edges: sequence 0, max uint64, DeviceID 0 and max uint256, zero hash, real DeviceIDs. */
function sampleLeaves(): SnapshotLeaf[] {
  const deviceIds = exampleDocuments().map((example) => computeDeviceId(example.document.identity));
  return [
    { deviceId: deviceIds[0]!, sequence: 0n, snapshotHash: snapshotHash('first') },
    { deviceId: deviceIds[0]!, sequence: 1n, snapshotHash: snapshotHash('second') },
    { deviceId: deviceIds[1]!, sequence: MAX_UINT64, snapshotHash: snapshotHash('last') },
    { deviceId: deviceIds[2]!, sequence: 42n, snapshotHash: ethers.ZeroHash as Hex },
    { deviceId: 0n, sequence: 7n, snapshotHash: `0x${'ff'.repeat(32)}` },
    { deviceId: MAX_UINT256, sequence: MAX_UINT64, snapshotHash: snapshotHash('max') },
  ];
}

describe('Snapshot leaves and trees', function () {
  describe('when hashing a leaf', function () {
    const leaves = sampleLeaves();
    const reference = StandardMerkleTree.of(leaves.map(snapshotLeafValues), [...SNAPSHOT_LEAF_TYPES]);

    for (const [index, leaf] of leaves.entries()) {
      describe(`when the leaf is #${index} (sequence ${leaf.sequence})`, function () {
        it('equals StandardMerkleTree.leafHash', function () {
          expect(hashSnapshotLeaf(leaf)).to.equal(reference.leafHash(snapshotLeafValues(leaf)));
        });

        it('equals SnapshotAnchor.snapshotLeaf on chain', async function () {
          const { anchor } = await loadFixture(registryFixture);
          expect(await anchor.snapshotLeaf(leaf.deviceId, leaf.sequence, leaf.snapshotHash)).to.equal(
            hashSnapshotLeaf(leaf),
          );
        });

        it('is keccak256 of keccak256 of abi.encode(uint256, uint64, bytes32)', function () {
          const inner = ethers.keccak256(
            ethers.AbiCoder.defaultAbiCoder().encode(
              [...SNAPSHOT_LEAF_TYPES],
              [leaf.deviceId, leaf.sequence, leaf.snapshotHash],
            ),
          );
          expect(hashSnapshotLeaf(leaf)).to.equal(ethers.keccak256(inner));
        });
      });
    }

    it('differs when any one of deviceId, sequence and snapshotHash changes', function () {
      const leaf = leaves[1]!;
      const original = hashSnapshotLeaf(leaf);
      expect(hashSnapshotLeaf({ ...leaf, deviceId: leaf.deviceId + 1n })).not.to.equal(original);
      expect(hashSnapshotLeaf({ ...leaf, sequence: leaf.sequence + 1n })).not.to.equal(original);
      expect(hashSnapshotLeaf({ ...leaf, snapshotHash: snapshotHash('other') })).not.to.equal(original);
    });

    it('refuses a sequence beyond uint64 and a snapshot hash that is not 32 bytes', function () {
      const leaf = leaves[0]!;
      expect(() => hashSnapshotLeaf({ ...leaf, sequence: MAX_UINT64 + 1n })).to.throw(RangeError, /uint64/);
      expect(() => hashSnapshotLeaf({ ...leaf, snapshotHash: '0x1234' })).to.throw(RangeError, /bytes32/);
    });
  });

  describe('when building a tree', function () {
    it('has the root and proofs of StandardMerkleTree over the same values', function () {
      const leaves = sampleLeaves();
      const tree = buildSnapshotTree(leaves);
      const reference = StandardMerkleTree.of(leaves.map(snapshotLeafValues), [...SNAPSHOT_LEAF_TYPES]);
      expect(tree.root).to.equal(reference.root);
      expect(tree.leafCount).to.equal(leaves.length);
      for (let index = 0; index < leaves.length; index += 1) {
        expect(tree.proof(index)).to.deep.equal(reference.getProof(index));
        expect(
          StandardMerkleTree.verify(
            tree.root,
            [...SNAPSHOT_LEAF_TYPES],
            snapshotLeafValues(leaves[index]!),
            tree.proof(index),
          ),
        ).to.equal(true);
      }
    });

    it('matches StandardMerkleTree on random batches of 1 to 1,024 leaves, every proof, with JavaScript and fast crypto alike', async function () {
      this.timeout(120_000);
      const fast = await useFastCrypto();
      try {
        for (const size of [1, 2, 3, 7, 64, 300, 1024]) {
          const leaves = Array.from({ length: size }, (_, index) => ({
            deviceId: BigInt(ethers.id(`device-${size}-${index % 5}`)),
            sequence: BigInt(index),
            snapshotHash: snapshotHash(`batch-${size}-${index}`),
          }));
          const reference = StandardMerkleTree.of(leaves.map(snapshotLeafValues), [...SNAPSHOT_LEAF_TYPES]);
          for (const backend of [javascriptCryptoBackend, fast]) {
            setCryptoBackend(backend);
            const tree = buildSnapshotTree(leaves);
            expect(tree.root, `${size} leaves, ${backend.name}`).to.equal(reference.root);
            for (let index = 0; index < size; index++) {
              expect(tree.proof(index)).to.deep.equal(reference.getProof(index));
            }
            expect(() => tree.proof(size)).to.throw(RangeError, /not in the tree/);
          }
        }
      } finally {
        setCryptoBackend(fast);
      }
    });

    it('throws for an empty batch', function () {
      expect(() => buildSnapshotTree([])).to.throw(RangeError, /at least one leaf/);
    });

    describe('when the oracle anchors the root', function () {
      async function anchoredFixture() {
        const fixture = await registryFixture();
        const leaves = sampleLeaves();
        const tree = buildSnapshotTree(leaves);
        await fixture.anchor.connect(fixture.oracle).anchor(tree.root, tree.leafCount, MANIFEST_CID);
        return { ...fixture, leaves, tree };
      }

      it('records the batch', async function () {
        const { anchor, tree } = await loadFixture(anchoredFixture);
        expect(await anchor.isAnchored(tree.root)).to.equal(true);
        const batch = await anchor.batchOf(tree.root);
        expect(batch.leafCount).to.equal(BigInt(tree.leafCount));
        expect(batch.batchId).to.equal(1n);
      });

      it('verifies the proof of every leaf in SnapshotAnchor.verifySnapshot', async function () {
        const { anchor, leaves, tree } = await loadFixture(anchoredFixture);
        for (const [index, leaf] of leaves.entries()) {
          expect(
            await anchor.verifySnapshot(tree.root, tree.proof(index), leaf.deviceId, leaf.sequence, leaf.snapshotHash),
            `leaf #${index}`,
          ).to.equal(true);
        }
      });

      it('rejects a proof for a leaf whose sequence or hash was changed', async function () {
        const { anchor, leaves, tree } = await loadFixture(anchoredFixture);
        const leaf = leaves[2]!;
        expect(
          await anchor.verifySnapshot(tree.root, tree.proof(2), leaf.deviceId, leaf.sequence - 1n, leaf.snapshotHash),
        ).to.equal(false);
        expect(
          await anchor.verifySnapshot(tree.root, tree.proof(2), leaf.deviceId, leaf.sequence, snapshotHash('forged')),
        ).to.equal(false);
        expect(
          await anchor.verifySnapshot(tree.root, tree.proof(3), leaf.deviceId, leaf.sequence, leaf.snapshotHash),
        ).to.equal(false);
      });
    });

    describe('when the root was never anchored', function () {
      it('does not verify even a correct proof', async function () {
        const { anchor } = await loadFixture(registryFixture);
        const leaves = sampleLeaves();
        const tree = buildSnapshotTree(leaves);
        const leaf = leaves[0]!;
        expect(await anchor.isAnchored(tree.root)).to.equal(false);
        expect(
          await anchor.verifySnapshot(tree.root, tree.proof(0), leaf.deviceId, leaf.sequence, leaf.snapshotHash),
        ).to.equal(false);
      });
    });

    describe('when the batch holds a single leaf', function () {
      it('has the leaf hash as root and an empty proof that verifies on chain', async function () {
        const { anchor, oracle } = await loadFixture(registryFixture);
        const [leaf] = sampleLeaves();
        const tree = buildSnapshotTree([leaf!]);
        expect(tree.root).to.equal(hashSnapshotLeaf(leaf!));
        expect(tree.proof(0)).to.deep.equal([]);
        await anchor.connect(oracle).anchor(tree.root, tree.leafCount, MANIFEST_CID);
        expect(await anchor.verifySnapshot(tree.root, [], leaf!.deviceId, leaf!.sequence, leaf!.snapshotHash)).to.equal(
          true,
        );
      });
    });
  });
});
