// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title INaiveSnapshotAnchor
 * @notice Benchmark baseline only (bench/gas): the design {ISnapshotAnchor} replaces, one transaction and one storage
 * slot per snapshot, so the gas benchmark can measure what batching saves.
 */
interface INaiveSnapshotAnchor {
    /// @notice The caller lacks the oracle role.
    error NaiveSnapshotAnchorUnauthorizedOracle(address account);

    /// @notice The snapshot hash is zero.
    error NaiveSnapshotAnchorEmptySnapshot(uint256 deviceId, uint64 sequence);

    /// @notice Snapshot `sequence` of device `deviceId` was already anchored, with hash `snapshotHash`.
    error NaiveSnapshotAnchorDuplicateSnapshot(uint256 deviceId, uint64 sequence, bytes32 snapshotHash);

    /// @notice `oracle` anchored snapshot `sequence` of device `deviceId` with hash `snapshotHash`.
    event SnapshotAnchored(
        uint256 indexed deviceId,
        uint64 indexed sequence,
        address indexed oracle,
        bytes32 snapshotHash
    );

    /**
     * @notice Anchors the hash of snapshot `sequence` of device `deviceId`.
     *
     * Requirements:
     * - the caller holds the oracle role in the entity registry;
     * - `snapshotHash` is not zero and snapshot (`deviceId`, `sequence`) was never anchored.
     *
     * Emits a {SnapshotAnchored} event.
     */
    function anchor(uint256 deviceId, uint64 sequence, bytes32 snapshotHash) external;

    /// @notice The anchored hash of snapshot `sequence` of device `deviceId`, zero when it was never anchored.
    function snapshotHashOf(uint256 deviceId, uint64 sequence) external view returns (bytes32);
}
