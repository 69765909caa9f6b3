import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { Hex } from '../encoding/hex';
import { SNAPSHOT_LEAF_TYPES, snapshotLeafValues, type SnapshotLeaf } from './snapshotLeaf';

/** A batch of snapshot leaves as a Merkle tree, with the proof of each leaf. */
export type SnapshotTree = {
  root: Hex;
  leafCount: number;
  /** The proof of the leaf at `index` (the order the leaves were given in). */
  proof(index: number): Hex[];
  /** The tree in OpenZeppelin's JSON dump format, to store beside the batch manifest. */
  dump(): unknown;
};

/**
 * Builds the Merkle tree of a batch of snapshot leaves with OpenZeppelin's StandardMerkleTree, so its proofs verify
 * with OpenZeppelin's MerkleProof in `SnapshotAnchor.verifySnapshot`.
 *
 * @example
 * const tree = buildSnapshotTree(leaves)
 * await anchor.anchor(tree.root, tree.leafCount, manifestCid)
 */
export function buildSnapshotTree(leaves: SnapshotLeaf[]): SnapshotTree {
  if (leaves.length === 0) throw new RangeError('a snapshot batch needs at least one leaf');
  const tree = StandardMerkleTree.of(leaves.map(snapshotLeafValues), [...SNAPSHOT_LEAF_TYPES]);
  return {
    root: tree.root as Hex,
    leafCount: leaves.length,
    proof: (index) => tree.getProof(index) as Hex[],
    dump: () => tree.dump(),
  };
}
