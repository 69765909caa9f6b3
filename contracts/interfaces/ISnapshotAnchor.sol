// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ISnapshotAnchor
 * @notice Merkle roots of batches of device snapshots, anchored by the oracle, against which anyone can prove that
 * a snapshot (DeviceID, sequence number, snapshot hash) was committed.
 * @dev Leaves are built as OpenZeppelin's StandardMerkleTree builds them:
 * leaf = keccak256(bytes.concat(keccak256(abi.encode(deviceId, sequence, snapshotHash)))), with types
 * (uint256, uint64, bytes32). Hashing twice keeps a 64-byte inner node from passing as a leaf.
 */
interface ISnapshotAnchor {
    /// @notice What the chain knows of an anchored batch. `batchId` is zero for a root never anchored.
    struct Batch {
        uint64 batchId;
        uint32 leafCount;
        uint48 anchoredAt;
        uint64 blockNumber;
    }

    /// @notice The caller lacks the oracle role.
    error SnapshotAnchorUnauthorizedOracle(address account);

    /// @notice `root` is zero or `leafCount` is zero.
    error SnapshotAnchorEmptyBatch(bytes32 root, uint32 leafCount);

    /// @notice The manifest CID is empty or longer than {MAX_CID_LENGTH}.
    error SnapshotAnchorInvalidManifestCid(uint256 length);

    /// @notice `root` was already anchored, as batch `batchId`.
    error SnapshotAnchorDuplicateRoot(bytes32 root, uint64 batchId);

    /// @notice `oracle` anchored batch `batchId` of `leafCount` snapshots with Merkle root `root`.
    event BatchAnchored(
        uint64 indexed batchId,
        bytes32 indexed root,
        address indexed oracle,
        uint32 leafCount,
        string manifestCid
    );

    /**
     * @notice Anchors the Merkle root of a batch of `leafCount` snapshot leaves, with the IPFS CID of the batch
     * manifest that lists them.
     *
     * Requirements:
     * - the caller holds the oracle role in the entity registry;
     * - `root` and `leafCount` are not zero and `root` was never anchored;
     * - `manifestCid` is 1 to 128 bytes.
     *
     * Emits a {BatchAnchored} event.
     */
    function anchor(bytes32 root, uint32 leafCount, string calldata manifestCid) external returns (uint64 batchId);

    /// @notice What the chain knows of `root` (all zero when it was never anchored).
    function batchOf(bytes32 root) external view returns (Batch memory);

    /// @notice Whether `root` is an anchored batch root.
    function isAnchored(bytes32 root) external view returns (bool);

    /// @notice How many batches have been anchored.
    function batchCount() external view returns (uint64);

    /// @notice The leaf that commits to snapshot (`deviceId`, `sequence`, `snapshotHash`).
    function snapshotLeaf(uint256 deviceId, uint64 sequence, bytes32 snapshotHash) external pure returns (bytes32);

    /**
     * @notice Whether snapshot (`deviceId`, `sequence`, `snapshotHash`) is in the anchored batch `root`, given its
     * Merkle `proof`. False for a root never anchored.
     */
    function verifySnapshot(
        bytes32 root,
        bytes32[] calldata proof,
        uint256 deviceId,
        uint64 sequence,
        bytes32 snapshotHash
    ) external view returns (bool);
}
