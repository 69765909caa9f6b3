// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEntityRegistry} from "./interfaces/IEntityRegistry.sol";
import {ITwinRegistry} from "./interfaces/ITwinRegistry.sol";

/**
 * @title TwinRegistry
 * @notice One ERC-721 token per physical device, its token ID the DeviceID; sale and purchase with pull payments,
 * the device's software-update history, and its state as security entities, owners and manufacturers set it.
 * @dev Every state change emits {TwinStateChanged} indexed by twin and by owner: that event is the owner's
 * notification. Entity roles are read from the {EntityRegistry} on every call, so a revocation applies at once:
 * every action on a twin needs its caller approved (and a purchase, its seller), and a pending or revoked entity
 * keeps only {withdraw} and {deposit}. Relayed calls from the trusted ERC-2771 forwarder act for their signer and
 * meet the same checks. ERC-721 owners and balances live in the registry's own records, packed with the twin and
 * with the account's ether balance ({_ownerOf}, {balanceOf}, {_update}): OpenZeppelin's owner and balance storage
 * stays empty, and nothing calls `_increaseBalance`. The reentrancy guard is storage-based (no transient storage),
 * so the registry runs on pre-Cancun (Shanghai) chains.
 */
contract TwinRegistry is ITwinRegistry, ERC721, EIP712, ERC2771Context, ReentrancyGuard {
    /**
     * @dev A twin in four storage slots, its ERC-721 owner included. Slot 0 holds everything an owner-gated action
     * checks or changes (owner, state, listing flag, review flag, update counters), so most actions read and write
     * that one slot; slot 1 the device signer and the price; slots 2 and 3 the manufacturer and the static document
     * hash, written once at mint; slot 2 also holds the state a Lost twin returns to when found (written only by
     * {reportLost}).
     */
    struct TwinRecord {
        address owner;
        TwinState state;
        bool forSale;
        bool reviewRequested;
        uint32 updateCount;
        uint32 updatesAtSuspension;
        address deviceSigner;
        uint96 price;
        address manufacturer;
        TwinState stateBeforeLost;
        bytes32 staticHash;
    }

    /**
     * @dev An account's ERC-721 balance and its ether balance in one storage slot, so that a sale changes the
     * seller's token count and proceeds with one write, and a purchase from the balance changes the buyer's with one
     * write. `proceeds` (sale proceeds and deposits, in wei) cannot overflow 192 bits: it never exceeds the ether the
     * registry holds.
     */
    struct AccountRecord {
        uint64 twins;
        uint192 proceeds;
    }

    /// @notice Longest update component or version, in bytes.
    uint256 public constant MAX_LABEL_LENGTH = 64;
    /// @notice Longest CID (static document, update artifact), in bytes.
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Longest state-change reason or review note, in bytes.
    uint256 public constant MAX_REASON_LENGTH = 256;

    bytes32 private constant _DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 private constant _REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @dev EIP-712 type of the device's consent to its twin: {mint}'s `attestation` signs it.
    bytes32 private constant _MINT_ATTESTATION_TYPEHASH = keccak256("MintAttestation(uint256 deviceId,address manufacturer)");

    IEntityRegistry private immutable _entities;
    /// @dev The twins, owners included: OpenZeppelin's ERC-721 owner and balance mappings stay unused.
    mapping(uint256 deviceId => TwinRecord) private _twins;
    /// @dev Per account: ERC-721 balance, and sale proceeds and deposits in, {buyWithBalance} and {withdraw} out.
    mapping(address account => AccountRecord) private _accounts;
    /// @dev Twins minted plus one: starting at one, the first mint pays a nonzero-to-nonzero write like the others.
    uint256 private _totalMintedPlusOne = 1;
    /// @dev The device signer a security entity approved for a suspended twin; cleared when used or when the
    /// suspension ends.
    mapping(uint256 deviceId => address signer) private _approvedSigners;
    /// @dev The security entity that gave `_approvedSigners[deviceId]`: the approval holds only while it is approved.
    mapping(uint256 deviceId => address approver) private _signerApprovers;

    modifier onlyTwinOwner(uint256 deviceId) {
        _checkTwinOwner(deviceId);
        _;
    }

    /**
     * @param entities the entity registry holding roles and registrations.
     * @param trustedForwarder the ERC-2771 forwarder whose relayed calls act for their signer.
     */
    constructor(
        IEntityRegistry entities,
        address trustedForwarder
    ) ERC721("IoT Device Twin", "TWIN") EIP712("TwinRegistry", "1") ERC2771Context(trustedForwarder) {
        _entities = entities;
    }

    /// @notice The entity registry this contract reads roles from.
    function entityRegistry() external view returns (IEntityRegistry) {
        return _entities;
    }

    /// @inheritdoc ITwinRegistry
    function mint(
        uint256 deviceId,
        DeviceIdentity calldata identity,
        bytes32 staticHash,
        string calldata staticCid,
        address deviceSigner,
        uint96 price,
        bytes calldata attestation
    ) external {
        address manufacturer = _checkBrandHolder(identity.manufacturer);
        if (identity.macAddress == bytes6(0) || bytes(identity.serialNumber).length == 0) {
            revert TwinRegistryInvalidIdentity();
        }
        uint256 computed = computeDeviceId(identity);
        if (computed != deviceId) revert TwinRegistryDeviceIdMismatch(deviceId, computed);
        TwinRecord storage twin = _twins[deviceId];
        if (twin.owner != address(0)) revert TwinRegistryDuplicateTwin(deviceId);
        uint256 cidLength = bytes(staticCid).length;
        if (staticHash == bytes32(0) || cidLength == 0 || cidLength > MAX_CID_LENGTH) {
            revert TwinRegistryInvalidStaticDocument(staticHash, cidLength);
        }
        _checkAttestation(deviceId, manufacturer, deviceSigner, attestation);

        twin.deviceSigner = deviceSigner;
        twin.manufacturer = manufacturer;
        twin.staticHash = staticHash;
        if (price != 0) {
            twin.forSale = true;
            twin.price = price;
        }
        unchecked {
            ++_totalMintedPlusOne;
        }
        _mint(manufacturer, deviceId);
        emit TwinMinted(deviceId, manufacturer, deviceSigner, staticHash, staticCid, price);
        if (price != 0) emit TwinListed(deviceId, manufacturer, price);
    }

    /// @inheritdoc ITwinRegistry
    function list(uint256 deviceId, uint96 price) external onlyTwinOwner(deviceId) {
        TwinRecord storage twin = _twins[deviceId];
        if (twin.state != TwinState.Active) revert TwinRegistryTwinNotActive(deviceId, twin.state);
        if (price == 0) revert TwinRegistryInvalidPrice(price);
        twin.forSale = true;
        twin.price = price;
        emit TwinListed(deviceId, _msgSender(), price);
    }

    /// @inheritdoc ITwinRegistry
    function delist(uint256 deviceId) external onlyTwinOwner(deviceId) {
        TwinRecord storage twin = _twins[deviceId];
        if (!twin.forSale) revert TwinRegistryNotForSale(deviceId);
        twin.forSale = false;
        emit TwinDelisted(deviceId, _msgSender());
    }

    /// @inheritdoc ITwinRegistry
    function buy(uint256 deviceId) external payable nonReentrant {
        _purchase(deviceId, msg.value, false);
    }

    /// @inheritdoc ITwinRegistry
    function deposit() external payable {
        if (msg.value == 0) revert TwinRegistryInvalidDeposit(msg.value);
        address account = _msgSender();
        _accounts[account].proceeds += SafeCast.toUint192(msg.value);
        emit Deposited(account, msg.value);
    }

    /// @inheritdoc ITwinRegistry
    function buyWithBalance(uint256 deviceId, uint256 price) external nonReentrant {
        _purchase(deviceId, price, true);
    }

    /// @inheritdoc ITwinRegistry
    function withdraw() external nonReentrant {
        address account = _msgSender();
        AccountRecord storage record = _accounts[account];
        uint256 amount = record.proceeds;
        if (amount == 0) revert TwinRegistryNothingToWithdraw(account);
        record.proceeds = 0;
        emit ProceedsWithdrawn(account, amount);
        (bool sent, ) = payable(account).call{value: amount}("");
        if (!sent) revert TwinRegistryWithdrawalFailed(account, amount);
    }

    /// @inheritdoc ITwinRegistry
    function setDeviceSigner(uint256 deviceId, address newSigner) external onlyTwinOwner(deviceId) {
        TwinRecord storage twin = _twins[deviceId];
        TwinState state = twin.state;
        _checkNotDeactivated(deviceId, state);
        if (newSigner == address(0)) revert TwinRegistryInvalidDeviceSigner(newSigner);
        address previousSigner = twin.deviceSigner;
        if (previousSigner == newSigner) return;
        // A twin lost while Suspended is still under review (found, it is Suspended again): no rotation while Lost,
        // where no security entity can approve one.
        if (state == TwinState.Suspended || (state == TwinState.Lost && twin.stateBeforeLost == TwinState.Suspended)) {
            if (
                _approvedSigners[deviceId] != newSigner ||
                !_entities.hasEntityRole(_signerApprovers[deviceId], IEntityRegistry.EntityRole.SecurityEntity)
            ) revert TwinRegistrySignerNotApproved(deviceId, newSigner);
            _clearSignerApproval(deviceId);
        }
        twin.deviceSigner = newSigner;
        emit DeviceSignerChanged(deviceId, _msgSender(), previousSigner, newSigner);
    }

    /// @inheritdoc ITwinRegistry
    function approveDeviceSigner(uint256 deviceId, address signer) external {
        address caller = _msgSender();
        _checkEntityRole(caller, IEntityRegistry.EntityRole.SecurityEntity);
        _existingOwner(deviceId);
        TwinState state = _twins[deviceId].state;
        if (state != TwinState.Suspended) revert TwinRegistryTwinNotSuspended(deviceId, state);
        if (signer == address(0)) revert TwinRegistryInvalidDeviceSigner(signer);
        _approvedSigners[deviceId] = signer;
        _signerApprovers[deviceId] = caller;
        emit DeviceSignerApproved(deviceId, caller, signer);
    }

    /// @inheritdoc ITwinRegistry
    function recordUpdate(
        uint256 deviceId,
        string calldata component,
        string calldata version,
        bytes32 artifactHash,
        string calldata artifactCid
    ) external onlyTwinOwner(deviceId) {
        TwinRecord storage twin = _twins[deviceId];
        _checkNotDeactivated(deviceId, twin.state);
        if (bytes(component).length == 0 || bytes(version).length == 0) revert TwinRegistryInvalidUpdate();
        _checkLength(0, component, MAX_LABEL_LENGTH);
        _checkLength(1, version, MAX_LABEL_LENGTH);
        _checkLength(2, artifactCid, MAX_CID_LENGTH);
        uint32 index = ++twin.updateCount;
        emit DeviceUpdateRecorded(deviceId, _msgSender(), index, component, version, artifactHash, artifactCid);
    }

    /// @inheritdoc ITwinRegistry
    function setState(uint256 deviceId, TwinState newState, string calldata reason) external {
        address caller = _msgSender();
        _checkEntityRole(caller, IEntityRegistry.EntityRole.SecurityEntity);
        _existingOwner(deviceId);
        TwinState state = _twins[deviceId].state;
        bool validTarget = newState == TwinState.Active ||
            newState == TwinState.Suspended ||
            newState == TwinState.Unknown;
        if (state != TwinState.Deactivated && (!validTarget || state == TwinState.Lost)) {
            revert TwinRegistryInvalidStateTransition(deviceId, state, newState);
        }
        _changeState(deviceId, newState, caller, reason);
    }

    /// @inheritdoc ITwinRegistry
    function reportLost(uint256 deviceId, string calldata reason) external onlyTwinOwner(deviceId) {
        TwinRecord storage twin = _twins[deviceId];
        TwinState state = twin.state;
        if (state != TwinState.Lost && state != TwinState.Deactivated) twin.stateBeforeLost = state;
        _changeState(deviceId, TwinState.Lost, _msgSender(), reason);
    }

    /// @inheritdoc ITwinRegistry
    function reportFound(uint256 deviceId, string calldata reason) external {
        address caller = _checkOwnerOrAdmin(deviceId);
        if (caller == address(0)) revert TwinRegistryNotTwinOwner(deviceId, _msgSender());
        TwinRecord storage twin = _twins[deviceId];
        TwinState state = twin.state;
        _checkNotDeactivated(deviceId, state);
        if (state != TwinState.Lost) revert TwinRegistryTwinNotLost(deviceId, state);
        _changeState(deviceId, twin.stateBeforeLost, caller, reason);
    }

    /// @inheritdoc ITwinRegistry
    function deactivate(uint256 deviceId, string calldata reason) external {
        address caller = _checkOwnerOrAdmin(deviceId);
        if (caller == address(0)) revert TwinRegistryUnauthorizedDeactivation(deviceId, _msgSender());
        _changeState(deviceId, TwinState.Deactivated, caller, reason);
    }

    /// @inheritdoc ITwinRegistry
    function dispute(uint256 deviceId, string calldata reason) external {
        address owner = _existingOwner(deviceId);
        address registrar = _msgSender();
        if (!_entities.hasRole(_REGISTRAR_ROLE, registrar)) revert TwinRegistryUnauthorizedDispute(deviceId, registrar);
        _checkLength(3, reason, MAX_REASON_LENGTH);
        address manufacturer = _twins[deviceId].manufacturer;

        _approve(address(0), deviceId, address(0), false);
        --_accounts[owner].twins;
        delete _twins[deviceId];
        _clearSignerApproval(deviceId);
        emit TwinDisputed(deviceId, owner, registrar, manufacturer, reason);
        emit Transfer(owner, address(0), deviceId);
    }

    /// @inheritdoc ITwinRegistry
    function requestReview(uint256 deviceId, string calldata note) external onlyTwinOwner(deviceId) {
        TwinRecord storage twin = _twins[deviceId];
        uint32 updatesSinceSuspension = twin.updateCount - twin.updatesAtSuspension;
        if (twin.state != TwinState.Suspended || updatesSinceSuspension == 0) {
            revert TwinRegistryReviewNotAllowed(deviceId, twin.state, updatesSinceSuspension);
        }
        _checkLength(3, note, MAX_REASON_LENGTH);
        if (twin.reviewRequested) return;
        twin.reviewRequested = true;
        emit ReviewRequested(deviceId, _msgSender(), twin.updateCount, note);
    }

    /// @inheritdoc ITwinRegistry
    function computeDeviceId(DeviceIdentity calldata identity) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(identity)));
    }

    /// @inheritdoc ITwinRegistry
    function mintAttestationDigest(uint256 deviceId, address manufacturer) external view returns (bytes32) {
        return _mintAttestationDigest(deviceId, manufacturer);
    }

    /// @inheritdoc ITwinRegistry
    function twinOf(uint256 deviceId) external view returns (Twin memory) {
        address owner = _existingOwner(deviceId);
        TwinRecord storage twin = _twins[deviceId];
        return
            Twin({
                owner: owner,
                deviceSigner: twin.deviceSigner,
                manufacturer: twin.manufacturer,
                state: twin.state,
                forSale: twin.forSale,
                price: twin.forSale ? twin.price : 0,
                staticHash: twin.staticHash,
                updateCount: twin.updateCount,
                reviewRequested: twin.reviewRequested
            });
    }

    /// @inheritdoc ITwinRegistry
    function exists(uint256 deviceId) external view returns (bool) {
        return _twins[deviceId].owner != address(0);
    }

    /// @inheritdoc ITwinRegistry
    function proceedsOf(address account) external view returns (uint256) {
        return _accounts[account].proceeds;
    }

    /// @inheritdoc ITwinRegistry
    function totalMinted() external view returns (uint256) {
        return _totalMintedPlusOne - 1;
    }

    /// @inheritdoc ERC721
    function balanceOf(address owner) public view override returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _accounts[owner].twins;
    }

    /**
     * @dev The one purchase path: checks the twin, the buyer and that `offered` is exactly the price, takes the
     * price from the buyer's balance when `fromBalance` (else `msg.value` paid it), credits the seller and moves
     * the twin. The buyer's approved Owner role is the recipient check a transfer makes, and a listed twin is
     * Active, so the move skips {_update}'s checks and its second call to the entity registry.
     */
    function _purchase(uint256 deviceId, uint256 offered, bool fromBalance) private {
        TwinRecord storage twin = _twins[deviceId];
        address seller = twin.owner;
        if (seller == address(0)) revert TwinRegistryNonexistentTwin(deviceId);
        if (twin.state != TwinState.Active) revert TwinRegistryTwinNotActive(deviceId, twin.state);
        if (!twin.forSale) revert TwinRegistryNotForSale(deviceId);
        address buyer = _msgSender();
        _checkEntityRole(buyer, IEntityRegistry.EntityRole.Owner);
        if (buyer == seller) revert TwinRegistrySelfPurchase(deviceId, buyer);
        _checkApproved(seller);
        uint96 price = twin.price;
        if (offered != price) revert TwinRegistryIncorrectPayment(deviceId, price, offered);
        if (fromBalance) {
            AccountRecord storage buyerAccount = _accounts[buyer];
            uint192 balance = buyerAccount.proceeds;
            if (balance < price) revert TwinRegistryInsufficientBalance(buyer, balance, price);
            unchecked {
                buyerAccount.proceeds = balance - price;
            }
        }

        twin.forSale = false;
        _accounts[seller].proceeds += price;
        _moveTwin(twin, deviceId, seller, buyer);
        emit TwinPurchased(deviceId, seller, buyer, price);
    }

    /**
     * @dev The one path every state change takes: refuses a deactivated twin, returns without an event when the
     * state does not change, takes the twin off the market when it stops being Active (a listing never outlives
     * a suspension), and arms the review check on suspension.
     */
    function _changeState(uint256 deviceId, TwinState newState, address by, string calldata reason) private {
        address owner = _existingOwner(deviceId);
        _checkLength(3, reason, MAX_REASON_LENGTH);
        TwinRecord storage twin = _twins[deviceId];
        TwinState previousState = twin.state;
        _checkNotDeactivated(deviceId, previousState);
        if (previousState == newState) return;

        twin.state = newState;
        twin.reviewRequested = false;
        if (newState == TwinState.Suspended) twin.updatesAtSuspension = twin.updateCount;
        if (previousState == TwinState.Suspended) _clearSignerApproval(deviceId);
        emit TwinStateChanged(deviceId, owner, by, previousState, newState, reason);
        if (newState != TwinState.Active) _endListing(twin, deviceId, owner);
    }

    /**
     * @dev Every ownership change but the mint is made by and for approved entities: the owner, the recipient and
     * the operator moving it (when not the owner) are approved; it never moves a deactivated twin, and ends any
     * listing. These checks come before ERC-721's authorization check, as they always have.
     */
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        TwinRecord storage twin = _twins[tokenId];
        from = twin.owner;
        if (from != address(0)) {
            _checkNotDeactivated(tokenId, twin.state);
            _checkApproved(from);
            _checkApproved(to);
            if (auth != from && auth != address(0)) _checkApproved(auth);
        }
        if (auth != address(0)) _checkAuthorized(from, auth, tokenId);
        if (from != address(0)) _endListing(twin, tokenId, from);
        _moveTwin(twin, tokenId, from, to);
    }

    /**
     * @dev ERC-721's bookkeeping, on the registry's own storage: clears the token approval, moves one token between
     * the account balances, sets the owner and emits {Transfer}. `from` is zero for a mint; `to` is never zero (the
     * registry never burns, and minting and transfers refuse the zero address).
     */
    function _moveTwin(TwinRecord storage twin, uint256 tokenId, address from, address to) private {
        if (from != address(0)) {
            _approve(address(0), tokenId, address(0), false);
            --_accounts[from].twins;
        }
        ++_accounts[to].twins;
        twin.owner = to;
        emit Transfer(from, to, tokenId);
    }

    /// @dev ERC-721 `approve`: only an approved entity gives (or clears) a token approval.
    function _approve(address to, uint256 tokenId, address auth, bool emitEvent) internal override {
        if (auth != address(0)) _checkApproved(auth);
        super._approve(to, tokenId, auth, emitEvent);
    }

    /// @dev ERC-721 `setApprovalForAll`: only an approved entity names (or removes) operators.
    function _setApprovalForAll(address owner, address operator, bool approved) internal override {
        _checkApproved(owner);
        super._setApprovalForAll(owner, operator, approved);
    }

    /// @dev The owner of `tokenId` from the twin record; zero when there is no such twin.
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        return _twins[tokenId].owner;
    }

    /// @dev Forgets a suspended twin's signer approval and who gave it (the approver's slot only when there is one:
    /// most suspensions end without an approval).
    function _clearSignerApproval(uint256 deviceId) private {
        if (_approvedSigners[deviceId] == address(0)) return;
        delete _approvedSigners[deviceId];
        delete _signerApprovers[deviceId];
    }

    /// @dev Takes a listed twin off the market, with a {TwinDelisted} event; nothing when it is not listed.
    function _endListing(TwinRecord storage twin, uint256 deviceId, address owner) private {
        if (!twin.forSale) return;
        twin.forSale = false;
        emit TwinDelisted(deviceId, owner);
    }

    /// @dev The owner of `deviceId`, reverting with {TwinRegistryNonexistentTwin} when there is no such twin.
    function _existingOwner(uint256 deviceId) private view returns (address owner) {
        owner = _twins[deviceId].owner;
        if (owner == address(0)) revert TwinRegistryNonexistentTwin(deviceId);
    }

    /// @dev The caller owns twin `deviceId` and is an approved entity: the check of every owner action.
    function _checkTwinOwner(uint256 deviceId) private view {
        address caller = _msgSender();
        if (_existingOwner(deviceId) != caller) revert TwinRegistryNotTwinOwner(deviceId, caller);
        _checkApproved(caller);
    }

    /**
     * @dev The caller when it owns twin `deviceId` as an approved entity or holds the admin role; an owner that is
     * neither approved nor admin reverts with {TwinRegistryUnauthorizedEntity}; anyone else gets zero, for the
     * caller to revert with its own error.
     */
    function _checkOwnerOrAdmin(uint256 deviceId) private view returns (address) {
        address owner = _existingOwner(deviceId);
        address caller = _msgSender();
        if (caller == owner && _entities.isApproved(caller)) return caller;
        if (_entities.hasRole(_DEFAULT_ADMIN_ROLE, caller)) return caller;
        if (caller == owner) revert TwinRegistryUnauthorizedEntity(caller, 0);
        return address(0);
    }

    function _checkApproved(address account) private view {
        if (!_entities.isApproved(account)) revert TwinRegistryUnauthorizedEntity(account, 0);
    }

    function _checkEntityRole(address account, IEntityRegistry.EntityRole role) private view {
        if (!_entities.hasEntityRole(account, role)) revert TwinRegistryUnauthorizedEntity(account, uint8(role));
    }

    /**
     * @dev The caller, when it is an approved manufacturer holding brand `brand`: one call to the entity registry
     * on the way to a mint, a second one only to name the failure.
     */
    function _checkBrandHolder(string calldata brand) private view returns (address manufacturer) {
        manufacturer = _msgSender();
        (address holder, bool approved) = _entities.brandHolder(brand);
        if (holder != manufacturer || !approved) {
            _checkEntityRole(manufacturer, IEntityRegistry.EntityRole.Manufacturer);
            revert TwinRegistryNotBrandHolder(manufacturer, brand);
        }
    }

    /// @dev `attestation` is `deviceSigner`'s EIP-712 signature letting `manufacturer` mint twin `deviceId`.
    function _checkAttestation(
        uint256 deviceId,
        address manufacturer,
        address deviceSigner,
        bytes calldata attestation
    ) private view {
        if (deviceSigner == address(0)) revert TwinRegistryInvalidDeviceSigner(deviceSigner);
        (address attested, , ) = ECDSA.tryRecover(_mintAttestationDigest(deviceId, manufacturer), attestation);
        if (attested != deviceSigner) revert TwinRegistryInvalidAttestation(deviceId, deviceSigner, attested);
    }

    function _mintAttestationDigest(uint256 deviceId, address manufacturer) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_MINT_ATTESTATION_TYPEHASH, deviceId, manufacturer)));
    }

    function _checkNotDeactivated(uint256 deviceId, TwinState state) private pure {
        if (state == TwinState.Deactivated) revert TwinRegistryTwinDeactivated(deviceId);
    }

    function _checkLength(uint8 field, string calldata value, uint256 max) private pure {
        uint256 length = bytes(value).length;
        if (length > max) revert TwinRegistryFieldTooLong(field, length);
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
