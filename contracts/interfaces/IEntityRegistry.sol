// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/**
 * @title IEntityRegistry
 * @notice Who is who in the twin network (seed 001, contract V.1): manufacturers, owners and security entities
 * submit a profile, a registrar approves or revokes them, and an approved entity holds a unique entity ID and
 * one role. The registry also holds the operational roles (admin, registrar, oracle) every other contract reads.
 */
interface IEntityRegistry is IAccessControl {
    /// @notice The role an entity plays in the network. `None` marks an address that never registered.
    enum EntityRole {
        None,
        Manufacturer,
        Owner,
        SecurityEntity
    }

    /// @notice Where an entity's registration stands.
    enum EntityStatus {
        None,
        Pending,
        Approved,
        Revoked
    }

    /// @notice An entity's record. `id` is zero until the first approval and never changes after it.
    struct Entity {
        uint64 id;
        EntityRole role;
        EntityStatus status;
        uint64 registeredAt;
        uint64 updatedAt;
        string name;
        bytes32 profileHash;
        string profileCid;
    }

    /// @notice The role given is `None` or out of range.
    error EntityRegistryInvalidRole(uint8 role);

    /// @notice The name is empty or longer than {MAX_NAME_LENGTH} bytes.
    error EntityRegistryInvalidName(uint256 length);

    /// @notice The profile CID is longer than {MAX_CID_LENGTH} bytes.
    error EntityRegistryInvalidProfileCid(uint256 length);

    /// @notice `account` has already registered.
    error EntityRegistryAlreadyRegistered(address account);

    /// @notice `account` has never registered.
    error EntityRegistryUnknownEntity(address account);

    /// @notice No entity holds `entityId`.
    error EntityRegistryNonexistentEntityId(uint64 entityId);

    /// @notice `account` is already approved.
    error EntityRegistryAlreadyApproved(address account);

    /// @notice `account` is not approved (it is pending, revoked or unknown).
    error EntityRegistryNotApproved(address account);

    /// @notice `account` submitted a registration.
    event EntityRegistered(address indexed account, EntityRole indexed role, string name, bytes32 profileHash, string profileCid);

    /// @notice `account` changed its profile.
    event EntityProfileUpdated(address indexed account, string name, bytes32 profileHash, string profileCid);

    /// @notice The registrar `registrar` approved `account` with entity ID `entityId`.
    event EntityApproved(address indexed account, uint64 indexed entityId, EntityRole role, address indexed registrar);

    /// @notice The registrar `registrar` revoked `account`.
    event EntityRevoked(address indexed account, uint64 indexed entityId, address indexed registrar, string reason);

    /// @notice The registrar role: approves and revokes entities.
    function REGISTRAR_ROLE() external view returns (bytes32);

    /// @notice The oracle role: anchors snapshot batches.
    function ORACLE_ROLE() external view returns (bytes32);

    /**
     * @notice Submits a registration for the caller with role `role` and a profile.
     *
     * Requirements:
     * - the caller has never registered;
     * - `role` is Manufacturer, Owner or SecurityEntity;
     * - `name` is 1 to 64 bytes; `profileCid` is at most 128 bytes.
     *
     * Emits an {EntityRegistered} event.
     */
    function register(EntityRole role, string calldata name, bytes32 profileHash, string calldata profileCid) external;

    /**
     * @notice Replaces the caller's profile (name, profile document hash and CID). The role stays.
     *
     * Requirements:
     * - the caller has registered (pending, approved or revoked);
     * - `name` is 1 to 64 bytes; `profileCid` is at most 128 bytes.
     *
     * Emits an {EntityProfileUpdated} event.
     */
    function updateProfile(string calldata name, bytes32 profileHash, string calldata profileCid) external;

    /**
     * @notice Approves `account`; its first approval gives it the next entity ID, a later one restores it.
     *
     * Requirements:
     * - the caller has the registrar role;
     * - `account` has registered and is not approved.
     *
     * Emits an {EntityApproved} event.
     */
    function approve(address account) external;

    /**
     * @notice Revokes `account`: it keeps its ID and profile but loses every right an approved entity has.
     *
     * Requirements:
     * - the caller has the registrar role;
     * - `account` is pending or approved.
     *
     * Emits an {EntityRevoked} event.
     */
    function revoke(address account, string calldata reason) external;

    /// @notice The record of `account` (all zero if it never registered).
    function entityOf(address account) external view returns (Entity memory);

    /**
     * @notice The account and record holding entity ID `entityId`.
     *
     * Requirements:
     * - some entity holds `entityId`.
     */
    function entityById(uint64 entityId) external view returns (address account, Entity memory entity);

    /// @notice The entity ID of `account`, zero if it was never approved.
    function entityIdOf(address account) external view returns (uint64);

    /// @notice Whether `account` is an approved entity of any role.
    function isApproved(address account) external view returns (bool);

    /// @notice Whether `account` is an approved entity with role `role`.
    function hasEntityRole(address account, EntityRole role) external view returns (bool);

    /// @notice How many entity IDs have been given.
    function entityCount() external view returns (uint64);
}
