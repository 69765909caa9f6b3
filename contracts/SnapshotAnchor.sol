// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IEntityRegistry} from "./interfaces/IEntityRegistry.sol";
import {ISnapshotAnchor} from "./interfaces/ISnapshotAnchor.sol";

/**
 * @title SnapshotAnchor
 * @notice Holds the Merkle roots of snapshot batches so that millions of snapshots cost a few transactions, and
 * verifies any snapshot's proof against them.
 * @dev One storage slot per batch, keyed by root; the manifest CID lives in the {BatchAnchored} event.
 */
contract SnapshotAnchor is ISnapshotAnchor, ERC2771Context {
    /// @notice Longest manifest CID, in bytes.
    uint256 public constant MAX_CID_LENGTH = 128;

    IEntityRegistry private immutable _entities;
    bytes32 private immutable _oracleRole;
    mapping(bytes32 root => Batch) private _batches;
    /// @dev The next batch's ID: starting at one, the first anchor pays a nonzero-to-nonzero write like the others.
    uint64 private _nextBatchId = 1;

    /**
     * @param entities the entity registry whose `ORACLE_ROLE` may anchor.
     * @param trustedForwarder the ERC-2771 forwarder whose relayed calls act for their signer.
     */
    constructor(IEntityRegistry entities, address trustedForwarder) ERC2771Context(trustedForwarder) {
        _entities = entities;
        _oracleRole = entities.ORACLE_ROLE();
    }

    /// @notice The entity registry this contract reads the oracle role from.
    function entityRegistry() external view returns (IEntityRegistry) {
        return _entities;
    }

    /// @inheritdoc ISnapshotAnchor
    function anchor(bytes32 root, uint32 leafCount, string calldata manifestCid) external returns (uint64 batchId) {
        address oracle = _msgSender();
        if (!_entities.hasRole(_oracleRole, oracle)) revert SnapshotAnchorUnauthorizedOracle(oracle);
        if (root == bytes32(0) || leafCount == 0) revert SnapshotAnchorEmptyBatch(root, leafCount);
        uint256 cidLength = bytes(manifestCid).length;
        if (cidLength == 0 || cidLength > MAX_CID_LENGTH) revert SnapshotAnchorInvalidManifestCid(cidLength);
        Batch storage batch = _batches[root];
        if (batch.batchId != 0) revert SnapshotAnchorDuplicateRoot(root, batch.batchId);

        batchId = _nextBatchId++;
        batch.batchId = batchId;
        batch.leafCount = leafCount;
        batch.anchoredAt = uint48(block.timestamp);
        batch.blockNumber = uint64(block.number);
        emit BatchAnchored(batchId, root, oracle, leafCount, manifestCid);
    }

    /// @inheritdoc ISnapshotAnchor
    function batchOf(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc ISnapshotAnchor
    function isAnchored(bytes32 root) public view returns (bool) {
        return _batches[root].batchId != 0;
    }

    /// @inheritdoc ISnapshotAnchor
    function batchCount() external view returns (uint64) {
        return _nextBatchId - 1;
    }

    /// @inheritdoc ISnapshotAnchor
    function snapshotLeaf(uint256 deviceId, uint64 sequence, bytes32 snapshotHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(deviceId, sequence, snapshotHash))));
    }

    /// @inheritdoc ISnapshotAnchor
    function verifySnapshot(
        bytes32 root,
        bytes32[] calldata proof,
        uint256 deviceId,
        uint64 sequence,
        bytes32 snapshotHash
    ) external view returns (bool) {
        return isAnchored(root) && MerkleProof.verifyCalldata(proof, root, snapshotLeaf(deviceId, sequence, snapshotHash));
    }
}
