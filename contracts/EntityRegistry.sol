// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {IEntityRegistry} from "./interfaces/IEntityRegistry.sol";

/**
 * @title EntityRegistry
 * @notice Registration of manufacturers, owners and security entities, and the network's operational roles.
 * @dev Roles: `DEFAULT_ADMIN_ROLE` manages every role and may deactivate any twin; `REGISTRAR_ROLE` approves and
 * revokes entities; `ORACLE_ROLE` anchors snapshot batches. Calls relayed by the trusted ERC-2771 forwarder act
 * for the user who signed them.
 */
contract EntityRegistry is IEntityRegistry, AccessControl, ERC2771Context {
    /// @inheritdoc IEntityRegistry
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @inheritdoc IEntityRegistry
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    /// @notice Longest entity name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @notice Longest profile CID, in bytes.
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Longest brand, in bytes: a device identity's `manufacturer` (at most 64 characters, in UTF-8).
    uint256 public constant MAX_BRAND_LENGTH = 256;

    mapping(address account => Entity) private _entities;
    mapping(uint64 entityId => address account) private _accountsById;
    uint64 private _entityCount;
    /// @dev Who holds each brand, by keccak256 of its bytes: at most one manufacturer.
    mapping(bytes32 brandHash => address holder) private _brandHolders;
    /// @dev Which brands each manufacturer registered (pending or held).
    mapping(address account => mapping(bytes32 brandHash => bool)) private _brandRegistrations;

    /**
     * @param admin receives the admin and registrar roles.
     * @param trustedForwarder the ERC-2771 forwarder whose relayed calls act for their signer.
     */
    constructor(address admin, address trustedForwarder) ERC2771Context(trustedForwarder) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    /// @inheritdoc IEntityRegistry
    function register(EntityRole role, string calldata name, bytes32 profileHash, string calldata profileCid) external {
        address account = _msgSender();
        if (role == EntityRole.None) revert EntityRegistryInvalidRole(uint8(role));
        Entity storage entity = _entities[account];
        if (entity.status != EntityStatus.None) revert EntityRegistryAlreadyRegistered(account);
        _validateProfile(name, profileCid);

        entity.role = role;
        entity.status = EntityStatus.Pending;
        entity.registeredAt = uint64(block.timestamp);
        entity.updatedAt = uint64(block.timestamp);
        entity.name = name;
        entity.profileHash = profileHash;
        entity.profileCid = profileCid;
        emit EntityRegistered(account, role, name, profileHash, profileCid);
    }

    /// @inheritdoc IEntityRegistry
    function updateProfile(string calldata name, bytes32 profileHash, string calldata profileCid) external {
        address account = _msgSender();
        Entity storage entity = _entities[account];
        if (entity.status == EntityStatus.None) revert EntityRegistryUnknownEntity(account);
        _validateProfile(name, profileCid);

        entity.updatedAt = uint64(block.timestamp);
        entity.name = name;
        entity.profileHash = profileHash;
        entity.profileCid = profileCid;
        emit EntityProfileUpdated(account, name, profileHash, profileCid);
    }

    /// @inheritdoc IEntityRegistry
    function approve(address account) external onlyRole(REGISTRAR_ROLE) {
        Entity storage entity = _entities[account];
        EntityStatus status = entity.status;
        if (status == EntityStatus.None) revert EntityRegistryUnknownEntity(account);
        if (status == EntityStatus.Approved) revert EntityRegistryAlreadyApproved(account);

        uint64 entityId = entity.id;
        if (entityId == 0) {
            entityId = ++_entityCount;
            entity.id = entityId;
            _accountsById[entityId] = account;
        }
        entity.status = EntityStatus.Approved;
        entity.updatedAt = uint64(block.timestamp);
        emit EntityApproved(account, entityId, entity.role, _msgSender());
    }

    /// @inheritdoc IEntityRegistry
    function revoke(address account, string calldata reason) external onlyRole(REGISTRAR_ROLE) {
        Entity storage entity = _entities[account];
        EntityStatus status = entity.status;
        if (status == EntityStatus.None) revert EntityRegistryUnknownEntity(account);
        if (status == EntityStatus.Revoked) revert EntityRegistryNotApproved(account);

        entity.status = EntityStatus.Revoked;
        entity.updatedAt = uint64(block.timestamp);
        emit EntityRevoked(account, entity.id, _msgSender(), reason);
    }

    /// @inheritdoc IEntityRegistry
    function registerBrand(string calldata brand) external {
        address account = _msgSender();
        Entity storage entity = _entities[account];
        if (entity.role != EntityRole.Manufacturer) revert EntityRegistryNotManufacturer(account, entity.role);
        if (entity.status == EntityStatus.Revoked) revert EntityRegistryEntityRevoked(account);
        uint256 length = bytes(brand).length;
        if (length == 0 || length > MAX_BRAND_LENGTH) revert EntityRegistryInvalidBrand(length);
        bytes32 brandHash = keccak256(bytes(brand));
        if (_brandRegistrations[account][brandHash]) revert EntityRegistryBrandAlreadyRegistered(account, brand);
        address holder = _brandHolders[brandHash];
        if (holder != address(0)) revert EntityRegistryBrandTaken(brand, holder);

        _brandRegistrations[account][brandHash] = true;
        emit BrandRegistered(account, brandHash, brand);
    }

    /// @inheritdoc IEntityRegistry
    function approveBrand(address account, string calldata brand) external onlyRole(REGISTRAR_ROLE) {
        bytes32 brandHash = keccak256(bytes(brand));
        if (!_brandRegistrations[account][brandHash]) revert EntityRegistryBrandNotRegistered(account, brand);
        address holder = _brandHolders[brandHash];
        if (holder == account) revert EntityRegistryBrandAlreadyApproved(account, brand);
        if (holder != address(0)) revert EntityRegistryBrandTaken(brand, holder);

        _brandHolders[brandHash] = account;
        emit BrandApproved(account, brandHash, brand, _msgSender());
    }

    /// @inheritdoc IEntityRegistry
    function revokeBrand(
        address account,
        string calldata brand,
        string calldata reason
    ) external onlyRole(REGISTRAR_ROLE) {
        bytes32 brandHash = keccak256(bytes(brand));
        if (!_brandRegistrations[account][brandHash]) revert EntityRegistryBrandNotRegistered(account, brand);

        delete _brandRegistrations[account][brandHash];
        if (_brandHolders[brandHash] == account) delete _brandHolders[brandHash];
        emit BrandRevoked(account, brandHash, brand, _msgSender(), reason);
    }

    /// @inheritdoc IEntityRegistry
    function brandHolder(string calldata brand) external view returns (address holder, bool approvedManufacturer) {
        holder = _brandHolders[keccak256(bytes(brand))];
        Entity storage entity = _entities[holder];
        approvedManufacturer = entity.status == EntityStatus.Approved && entity.role == EntityRole.Manufacturer;
    }

    /// @inheritdoc IEntityRegistry
    function brandRegistered(address account, string calldata brand) external view returns (bool) {
        return _brandRegistrations[account][keccak256(bytes(brand))];
    }

    /// @inheritdoc IEntityRegistry
    function entityOf(address account) external view returns (Entity memory) {
        return _entities[account];
    }

    /// @inheritdoc IEntityRegistry
    function entityById(uint64 entityId) external view returns (address account, Entity memory entity) {
        account = _accountsById[entityId];
        if (account == address(0)) revert EntityRegistryNonexistentEntityId(entityId);
        entity = _entities[account];
    }

    /// @inheritdoc IEntityRegistry
    function entityIdOf(address account) external view returns (uint64) {
        return _entities[account].id;
    }

    /// @inheritdoc IEntityRegistry
    function isApproved(address account) external view returns (bool) {
        return _entities[account].status == EntityStatus.Approved;
    }

    /// @inheritdoc IEntityRegistry
    function hasEntityRole(address account, EntityRole role) external view returns (bool) {
        Entity storage entity = _entities[account];
        return entity.status == EntityStatus.Approved && entity.role == role;
    }

    /// @inheritdoc IEntityRegistry
    function entityCount() external view returns (uint64) {
        return _entityCount;
    }

    function _validateProfile(string calldata name, string calldata profileCid) private pure {
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > MAX_NAME_LENGTH) revert EntityRegistryInvalidName(nameLength);
        uint256 cidLength = bytes(profileCid).length;
        if (cidLength > MAX_CID_LENGTH) revert EntityRegistryInvalidProfileCid(cidLength);
    }

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }
}
