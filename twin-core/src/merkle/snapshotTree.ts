import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256 } from '../crypto/cryptoBackend';
import { fromHex, toHex, type Hex } from '../encoding/hex';
import { hashSnapshotLeaf, type SnapshotLeaf } from './snapshotLeaf';

/** A batch of snapshot leaves as a Merkle tree, with the proof of each leaf. */
export type SnapshotTree = {
  root: Hex;
  leafCount: number;
  /** The proof of the leaf at `index` (the order the leaves were given in). */
  proof(index: number): Hex[];
};

/**
 * OpenZeppelin's standard node hash (keccak256 of the sorted pair, as `MerkleProof` computes it) with the process's
 * crypto backend: the same bytes as `standardNodeHash`, faster where the backend is.
 */
function sortedPairHash(left: unknown, right: unknown): string {
  const a = typeof left === 'string' ? fromHex(left as Hex) : (left as Uint8Array);
  const b = typeof right === 'string' ? fromHex(right as Hex) : (right as Uint8Array);
  const pair = new Uint8Array(64);
  let order = 0;
  for (let index = 0; index < 32 && order === 0; index++) order = a[index]! - b[index]!;
  pair.set(order <= 0 ? a : b, 0);
  pair.set(order <= 0 ? b : a, 32);
  return toHex(keccak256(pair));
}

/**
 * Builds the Merkle tree of a batch of snapshot leaves with OpenZeppelin's merkle-tree library, so its proofs verify
 * with OpenZeppelin's MerkleProof in `SnapshotAnchor.verifySnapshot`: the leaves are {@link hashSnapshotLeaf}
 * (double-hashed, as StandardMerkleTree hashes them) given to `SimpleMerkleTree` with the standard sorted-pair node
 * hash. Root and proofs are exactly StandardMerkleTree's over `(uint256 deviceId, uint64 sequence, bytes32 hash)`
 * (tested), computed with the process's crypto backend.
 *
 * @example
 * const tree = buildSnapshotTree(leaves)
 * await anchor.anchor(tree.root, tree.leafCount, manifestCid)
 */
export function buildSnapshotTree(leaves: SnapshotLeaf[]): SnapshotTree {
  if (leaves.length === 0) throw new RangeError('a snapshot batch needs at least one leaf');
  const tree = SimpleMerkleTree.of(leaves.map(hashSnapshotLeaf), { nodeHash: sortedPairHash });
  return {
    root: tree.root as Hex,
    leafCount: leaves.length,
    proof: (index) => tree.getProof(index) as Hex[],
  };
}
