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

    /// @notice The brand name is empty or longer than {MAX_BRAND_LENGTH} bytes.
    error EntityRegistryInvalidBrand(uint256 length);

    /// @notice `account` is not a registered manufacturer (it has role `role`, `None` when it never registered).
    error EntityRegistryNotManufacturer(address account, EntityRole role);

    /// @notice `account` is revoked: it may not register a brand.
    error EntityRegistryEntityRevoked(address account);

    /// @notice Brand `brand` is held by `holder`, another manufacturer.
    error EntityRegistryBrandTaken(string brand, address holder);

    /// @notice `account` already registered brand `brand` (pending or approved).
    error EntityRegistryBrandAlreadyRegistered(address account, string brand);

    /// @notice `account` has no registration of brand `brand` (never registered, or revoked).
    error EntityRegistryBrandNotRegistered(address account, string brand);

    /// @notice `account` already holds brand `brand`.
    error EntityRegistryBrandAlreadyApproved(address account, string brand);

    /// @notice `account` submitted a registration.
    event EntityRegistered(address indexed account, EntityRole indexed role, string name, bytes32 profileHash, string profileCid);

    /// @notice `account` changed its profile.
    event EntityProfileUpdated(address indexed account, string name, bytes32 profileHash, string profileCid);

    /// @notice The registrar `registrar` approved `account` with entity ID `entityId`.
    event EntityApproved(address indexed account, uint64 indexed entityId, EntityRole role, address indexed registrar);

    /// @notice The registrar `registrar` revoked `account`.
    event EntityRevoked(address indexed account, uint64 indexed entityId, address indexed registrar, string reason);

    /// @notice Manufacturer `account` asked to hold brand `brand`: the `manufacturer` its devices' identities name.
    event BrandRegistered(address indexed account, bytes32 indexed brandHash, string brand);

    /// @notice The registrar `registrar` gave brand `brand` to manufacturer `account`: only it may mint twins of it.
    event BrandApproved(address indexed account, bytes32 indexed brandHash, string brand, address indexed registrar);

    /// @notice The registrar `registrar` ended `account`'s registration of brand `brand` (pending or approved).
    event BrandRevoked(
        address indexed account,
        bytes32 indexed brandHash,
        string brand,
        address indexed registrar,
        string reason
    );

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
     * @notice Revokes `account`: it loses every right an approved entity has, at once and in every contract (it
     * cannot mint, list, buy, sell, transfer, approve, record updates, rotate signers, report lost or found,
     * request reviews, deactivate or set states). It keeps its entity ID, its profile (which it may still update),
     * the twins it owns (frozen in its hands), its brands (no one else may take them until the registrar revokes
     * them) and its balance in the twin registry, which it may still withdraw. A later {approve} restores it.
     *
     * Requirements:
     * - the caller has the registrar role;
     * - `account` is pending or approved.
     *
     * Emits an {EntityRevoked} event.
     */
    function revoke(address account, string calldata reason) external;

    /**
     * @notice Asks for brand `brand`, the exact `manufacturer` text of the device identities the caller will mint
     * (e.g. "Raspberry Pi Ltd"). A manufacturer may hold several brands; a brand has at most one holder.
     *
     * Requirements:
     * - the caller is a registered manufacturer, pending or approved (not revoked);
     * - `brand` is 1 to 256 bytes; no other manufacturer holds it; the caller has not registered it already.
     *
     * Emits a {BrandRegistered} event.
     */
    function registerBrand(string calldata brand) external;

    /**
     * @notice Gives brand `brand` to `account`, which registered it: from now on only `account` mints twins whose
     * identity names it.
     *
     * Requirements:
     * - the caller has the registrar role;
     * - `account` registered `brand` and does not hold it yet; no other manufacturer holds it.
     *
     * Emits a {BrandApproved} event.
     */
    function approveBrand(address account, string calldata brand) external;

    /**
     * @notice Ends `account`'s registration of brand `brand`, pending or approved: the brand is free again. Twins
     * already minted keep their manufacturer.
     *
     * Requirements:
     * - the caller has the registrar role;
     * - `account` registered `brand`.
     *
     * Emits a {BrandRevoked} event.
     */
    function revokeBrand(address account, string calldata brand, string calldata reason) external;

    /**
     * @notice Who holds brand `brand` (zero when nobody does), and whether that holder is an approved
     * manufacturer now: what {ITwinRegistry-mint} checks.
     */
    function brandHolder(string calldata brand) external view returns (address holder, bool approvedManufacturer);

    /// @notice Whether `account` registered brand `brand` (pending or approved).
    function brandRegistered(address account, string calldata brand) external view returns (bool);

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
