import { keccak256 } from '../crypto/cryptoBackend';
import { abiEncode } from '../encoding/abiEncode';
import { fromHex, toHex, type Hex } from '../encoding/hex';

/** ABI types of a snapshot leaf's values, in order: DeviceID, sequence number, snapshot hash. */
export const SNAPSHOT_LEAF_TYPES = ['uint256', 'uint64', 'bytes32'] as const;

/** What one Merkle leaf commits to: one snapshot of one device. */
export type SnapshotLeaf = {
  deviceId: bigint;
  /** The agent's sequence number for this snapshot (monotonic per device). */
  sequence: bigint;
  /** keccak256 of the snapshot's canonical bytes. */
  snapshotHash: Hex;
};

/** A leaf as the value tuple `StandardMerkleTree` takes, in {@link SNAPSHOT_LEAF_TYPES} order. */
export function snapshotLeafValues(leaf: SnapshotLeaf): [string, string, Hex] {
  return [leaf.deviceId.toString(), leaf.sequence.toString(), leaf.snapshotHash];
}

/**
 * The leaf hash, built as OpenZeppelin's StandardMerkleTree builds it and `SnapshotAnchor.snapshotLeaf` checks it:
 * keccak256(keccak256(abi.encode(deviceId, sequence, snapshotHash))). Hashing twice keeps a 64-byte inner node
 * from passing as a leaf.
 *
 * @example
 * const leaf = hashSnapshotLeaf({ deviceId, sequence: 42n, snapshotHash })
 */
export function hashSnapshotLeaf(leaf: SnapshotLeaf): Hex {
  const encoded = abiEncode([
    { type: 'uint256', value: leaf.deviceId },
    { type: 'uint64', value: leaf.sequence },
    { type: 'bytes32', value: fromHex(leaf.snapshotHash) },
  ]);
  return toHex(keccak256(keccak256(encoded)));
}
