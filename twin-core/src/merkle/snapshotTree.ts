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

/** keccak256 of the sorted pair (OpenZeppelin's standard node hash, as `MerkleProof` computes it), on bytes. */
function sortedPairHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  const order = compareBytes(a, b);
  pair.set(order <= 0 ? a : b, 0);
  pair.set(order <= 0 ? b : a, 32);
  return keccak256(pair);
}

/** Lexicographic order of two 32-byte hashes (their order as 256-bit numbers, as OpenZeppelin sorts them). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let index = 0; index < 32; index++) {
    const difference = a[index]! - b[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Builds the Merkle tree of a batch of snapshot leaves exactly as OpenZeppelin's merkle-tree library builds it, so
 * its proofs verify with OpenZeppelin's MerkleProof in `SnapshotAnchor.verifySnapshot`: the leaves are
 * {@link hashSnapshotLeaf} (double-hashed, as StandardMerkleTree hashes them), sorted by value (stable), laid out as
 * the library's array (leaf `i` of the sorted order at `2n - 2 - i`, node `i` the sorted-pair hash of `2i + 1` and
 * `2i + 2`), a proof the siblings from the leaf up. Root and proofs are exactly StandardMerkleTree's over
 * `(uint256 deviceId, uint64 sequence, bytes32 hash)` (tested, all proofs of batches up to 1,024 leaves), computed on
 * bytes with the process's crypto backend: the library's own `SimpleMerkleTree` ABI-encodes and hex-converts every
 * leaf and node again, compares by BigInt when sorting, and re-verifies each proof it gives (4 % of the oracle's main
 * thread in a profiled ingest run, BENCHMARKS.md).
 *
 * @example
 * const tree = buildSnapshotTree(leaves)
 * await anchor.anchor(tree.root, tree.leafCount, manifestCid)
 */
export function buildSnapshotTree(leaves: SnapshotLeaf[]): SnapshotTree {
  if (leaves.length === 0) throw new RangeError('a snapshot batch needs at least one leaf');
  const hashed = leaves.map((leaf, index) => ({ index, hash: fromHex(hashSnapshotLeaf(leaf)) }));
  hashed.sort((a, b) => compareBytes(a.hash, b.hash));
  const size = 2 * leaves.length - 1;
  const nodes = new Array<Uint8Array>(size);
  /** Where each leaf (in the order given) sits in the array. */
  const positions = new Array<number>(leaves.length);
  hashed.forEach(({ index, hash }, sorted) => {
    nodes[size - 1 - sorted] = hash;
    positions[index] = size - 1 - sorted;
  });
  for (let node = size - 1 - leaves.length; node >= 0; node--) {
    nodes[node] = sortedPairHash(nodes[2 * node + 1]!, nodes[2 * node + 2]!);
  }
  const hex: Hex[] = nodes.map((node) => toHex(node));
  return {
    root: hex[0]!,
    leafCount: leaves.length,
    proof(index) {
      let node = positions[index];
      if (!Number.isInteger(index) || node === undefined) {
        throw new RangeError(`leaf ${index} is not in the tree (${leaves.length} leaves)`);
      }
      const proof: Hex[] = [];
      while (node > 0) {
        proof.push(hex[node % 2 === 1 ? node + 1 : node - 1]!);
        node = Math.floor((node - 1) / 2);
      }
      return proof;
    },
  };
}
