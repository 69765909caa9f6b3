// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IEntityRegistry} from "../interfaces/IEntityRegistry.sol";
import {INaiveSnapshotAnchor} from "./INaiveSnapshotAnchor.sol";

/**
 * @title NaiveSnapshotAnchor
 * @notice Benchmark baseline only, never deployed with the registry: anchors each snapshot in its own transaction,
 * one storage slot per (DeviceID, sequence), to compare with {SnapshotAnchor}'s one Merkle root per batch.
 * @dev Checks the oracle role exactly as {SnapshotAnchor} does (the same entity registry call, ERC-2771 sender), so
 * the comparison measures only the design.
 */
contract NaiveSnapshotAnchor is INaiveSnapshotAnchor, ERC2771Context {
    IEntityRegistry private immutable _entities;
    bytes32 private immutable _oracleRole;
    mapping(uint256 deviceId => mapping(uint64 sequence => bytes32 snapshotHash)) private _snapshots;

    /**
     * @param entities the entity registry whose `ORACLE_ROLE` may anchor.
     * @param trustedForwarder the ERC-2771 forwarder whose relayed calls act for their signer.
     */
    constructor(IEntityRegistry entities, address trustedForwarder) ERC2771Context(trustedForwarder) {
        _entities = entities;
        _oracleRole = entities.ORACLE_ROLE();
    }

    /// @inheritdoc INaiveSnapshotAnchor
    function anchor(uint256 deviceId, uint64 sequence, bytes32 snapshotHash) external {
        address oracle = _msgSender();
        if (!_entities.hasRole(_oracleRole, oracle)) revert NaiveSnapshotAnchorUnauthorizedOracle(oracle);
        if (snapshotHash == bytes32(0)) revert NaiveSnapshotAnchorEmptySnapshot(deviceId, sequence);
        bytes32 anchored = _snapshots[deviceId][sequence];
        if (anchored != bytes32(0)) revert NaiveSnapshotAnchorDuplicateSnapshot(deviceId, sequence, anchored);

        _snapshots[deviceId][sequence] = snapshotHash;
        emit SnapshotAnchored(deviceId, sequence, oracle, snapshotHash);
    }

    /// @inheritdoc INaiveSnapshotAnchor
    function snapshotHashOf(uint256 deviceId, uint64 sequence) external view returns (bytes32) {
        return _snapshots[deviceId][sequence];
    }
}
