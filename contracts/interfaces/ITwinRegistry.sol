// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ITwinRegistry
 * @notice The digital twins of physical devices (seed 001, contracts V.2 to V.4): one ERC-721 token per device
 * whose token ID is the DeviceID, with its sale and purchase, its software-update history and its state.
 */
interface ITwinRegistry {
    /// @notice A device's state (seed 001 section VII). `Deactivated` is final.
    enum TwinState {
        Active,
        Suspended,
        Unknown,
        Deactivated,
        Lost
    }

    /**
     * @notice The identity parameters of a device's static information; their hash is the DeviceID.
     * @dev DeviceID = uint256(keccak256(abi.encode(macAddress, serialNumber, manufacturer, hardwareModel,
     * hardwareRevision, memoryBytes, osName, osVersion))). Price and IP address are not identity.
     */
    struct DeviceIdentity {
        bytes6 macAddress;
        string serialNumber;
        string manufacturer;
        string hardwareModel;
        string hardwareRevision;
        uint64 memoryBytes;
        string osName;
        string osVersion;
    }

    /// @notice A twin's on-chain record, as {twinOf} returns it.
    struct Twin {
        address owner;
        address deviceSigner;
        address manufacturer;
        TwinState state;
        bool forSale;
        uint96 price;
        bytes32 staticHash;
        uint32 updateCount;
        bool reviewRequested;
    }

    /// @notice No twin has token ID `deviceId`.
    error TwinRegistryNonexistentTwin(uint256 deviceId);

    /// @notice A twin with token ID `deviceId` already exists.
    error TwinRegistryDuplicateTwin(uint256 deviceId);

    /// @notice The claimed DeviceID `claimed` is not the hash `computed` of the identity parameters.
    error TwinRegistryDeviceIdMismatch(uint256 claimed, uint256 computed);

    /// @notice The identity has no MAC address or no serial number.
    error TwinRegistryInvalidIdentity();

    /// @notice The static document hash is zero or its CID is empty or longer than {MAX_CID_LENGTH}.
    error TwinRegistryInvalidStaticDocument(bytes32 staticHash, uint256 cidLength);

    /// @notice The device signer is the zero address.
    error TwinRegistryInvalidDeviceSigner(address signer);

    /**
     * @notice `account` is not an approved entity with the role this action needs (an `EntityRole` value; 0 when any
     * approved entity may act): it is pending, revoked or unknown, or has another role.
     */
    error TwinRegistryUnauthorizedEntity(address account, uint8 role);

    /// @notice `account` is an approved manufacturer but does not hold brand `manufacturer`, the identity's maker.
    error TwinRegistryNotBrandHolder(address account, string manufacturer);

    /**
     * @notice The attestation is not the device key's EIP-712 signature of (`deviceId`, the caller) for this chain
     * and registry: it recovers to `recovered` (zero when malformed), not to `deviceSigner`.
     */
    error TwinRegistryInvalidAttestation(uint256 deviceId, address deviceSigner, address recovered);

    /// @notice `account` is not the owner of twin `deviceId`.
    error TwinRegistryNotTwinOwner(uint256 deviceId, address account);

    /// @notice `account` may not deactivate twin `deviceId` (only its current owner or an admin may).
    error TwinRegistryUnauthorizedDeactivation(uint256 deviceId, address account);

    /// @notice `account` may not dispute twin `deviceId` (only a registrar may).
    error TwinRegistryUnauthorizedDispute(uint256 deviceId, address account);

    /// @notice Twin `deviceId` is in `state`, and the action needs it Active.
    error TwinRegistryTwinNotActive(uint256 deviceId, TwinState state);

    /// @notice Twin `deviceId` is deactivated: nothing about it changes any more.
    error TwinRegistryTwinDeactivated(uint256 deviceId);

    /**
     * @notice Twin `deviceId` may not go from `from` to `to` this way: a security entity sets only Active, Suspended
     * or Unknown, and never on a Lost twin (its owner or an admin reports it found).
     */
    error TwinRegistryInvalidStateTransition(uint256 deviceId, TwinState from, TwinState to);

    /// @notice Twin `deviceId` is in `state`, not Lost: there is nothing to find.
    error TwinRegistryTwinNotLost(uint256 deviceId, TwinState state);

    /// @notice Twin `deviceId` is in `state`, not Suspended: a device signer is approved only during a suspension.
    error TwinRegistryTwinNotSuspended(uint256 deviceId, TwinState state);

    /// @notice Twin `deviceId` is Suspended (or Lost while Suspended) and no security entity, approved now, approved
    /// `signer` as its next device signer.
    error TwinRegistrySignerNotApproved(uint256 deviceId, address signer);

    /// @notice A review needs a suspended twin with an update recorded since the suspension.
    error TwinRegistryReviewNotAllowed(uint256 deviceId, TwinState state, uint32 updatesSinceSuspension);

    /// @notice Twin `deviceId` is not listed for sale.
    error TwinRegistryNotForSale(uint256 deviceId);

    /// @notice A listing price must be above zero and fit in 96 bits.
    error TwinRegistryInvalidPrice(uint256 price);

    /**
     * @notice A purchase must pay exactly the price: `sent` was paid (with {buy}) or offered (with
     * {buyWithBalance}) for a twin priced `price`.
     */
    error TwinRegistryIncorrectPayment(uint256 deviceId, uint256 price, uint256 sent);

    /// @notice A deposit must send some ether; `amount` was sent.
    error TwinRegistryInvalidDeposit(uint256 amount);

    /// @notice `account` has `balance` wei in the registry, less than the `price` it has to pay.
    error TwinRegistryInsufficientBalance(address account, uint256 balance, uint256 price);

    /// @notice The seller tried to buy its own twin.
    error TwinRegistrySelfPurchase(uint256 deviceId, address account);

    /// @notice `account` has no balance to withdraw.
    error TwinRegistryNothingToWithdraw(address account);

    /// @notice Sending `amount` wei of balance to `account` failed.
    error TwinRegistryWithdrawalFailed(address account, uint256 amount);

    /// @notice A text field (`field`: 0 component, 1 version, 2 CID, 3 reason) is longer than allowed.
    error TwinRegistryFieldTooLong(uint8 field, uint256 length);

    /// @notice The update's component or version is empty.
    error TwinRegistryInvalidUpdate();

    /// @notice Manufacturer `manufacturer` created twin `deviceId` with its static document and device signer.
    event TwinMinted(
        uint256 indexed deviceId,
        address indexed manufacturer,
        address indexed deviceSigner,
        bytes32 staticHash,
        string staticCid,
        uint256 price
    );

    /// @notice `seller` listed twin `deviceId` at `price` wei (also emitted when the price changes).
    event TwinListed(uint256 indexed deviceId, address indexed seller, uint256 price);

    /// @notice `seller` withdrew twin `deviceId` from sale.
    event TwinDelisted(uint256 indexed deviceId, address indexed seller);

    /// @notice `buyer` bought twin `deviceId` from `seller` for `price` wei.
    event TwinPurchased(uint256 indexed deviceId, address indexed seller, address indexed buyer, uint256 price);

    /// @notice `account` deposited `amount` wei into its balance, to pay for purchases with {buyWithBalance}.
    event Deposited(address indexed account, uint256 amount);

    /// @notice `account` withdrew `amount` wei: its whole balance (sale proceeds and unspent deposits).
    event ProceedsWithdrawn(address indexed account, uint256 amount);

    /// @notice The security entity `by` approved `signer` as the next device signer of suspended twin `deviceId`.
    event DeviceSignerApproved(uint256 indexed deviceId, address indexed by, address signer);

    /**
     * @notice The registrar `registrar` disputed twin `deviceId`, minted in error by `manufacturer` and owned by
     * `owner`, and burned it (an ERC-721 {Transfer} to the zero address follows).
     */
    event TwinDisputed(
        uint256 indexed deviceId,
        address indexed owner,
        address indexed registrar,
        address manufacturer,
        string reason
    );

    /// @notice The owner `owner` changed the key twin `deviceId`'s agent signs with.
    event DeviceSignerChanged(uint256 indexed deviceId, address indexed owner, address previousSigner, address newSigner);

    /// @notice The owner recorded update number `index` (from 1) of twin `deviceId`.
    event DeviceUpdateRecorded(
        uint256 indexed deviceId,
        address indexed owner,
        uint32 indexed index,
        string component,
        string version,
        bytes32 artifactHash,
        string artifactCid
    );

    /// @notice Twin `deviceId` of `owner` went from `previousState` to `newState`, set by `by` for `reason`.
    event TwinStateChanged(
        uint256 indexed deviceId,
        address indexed owner,
        address indexed by,
        TwinState previousState,
        TwinState newState,
        string reason
    );

    /// @notice The owner of suspended twin `deviceId` asked the security entities to review it.
    event ReviewRequested(uint256 indexed deviceId, address indexed owner, uint32 updateCount, string note);

    /**
     * @notice Creates the twin of a device: mints token `deviceId` to the caller and lists it at `price` if
     * `price` is not zero. Only the device's maker and the device itself can create it: the caller holds the brand
     * the identity names, and the device key signed `attestation` for the caller, this chain and this registry.
     * @dev `attestation` is the device key's EIP-712 signature (65 bytes, r ‖ s ‖ v) of
     * `MintAttestation(uint256 deviceId,address manufacturer)` in the domain {name: "TwinRegistry", version: "1",
     * chainId, verifyingContract: this registry} ({mintAttestationDigest}); the agent prints it at provisioning.
     *
     * Requirements:
     * - the caller is an approved manufacturer holding the brand `identity.manufacturer`
     *   ({IEntityRegistry-brandHolder});
     * - `deviceId` equals {computeDeviceId} of `identity` and no twin has it yet;
     * - `identity` has a MAC address and a serial number;
     * - `staticHash` is not zero and `staticCid` is 1 to 128 bytes; `deviceSigner` is not zero;
     * - `attestation` is `deviceSigner`'s signature of ({deviceId}, the caller).
     *
     * Emits a {TwinMinted} event (and {TwinListed} when `price` is not zero).
     */
    function mint(
        uint256 deviceId,
        DeviceIdentity calldata identity,
        bytes32 staticHash,
        string calldata staticCid,
        address deviceSigner,
        uint96 price,
        bytes calldata attestation
    ) external;

    /**
     * @notice Lists twin `deviceId` for sale at `price` wei, or changes the price of its listing.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity; the twin is Active;
     * - `price` is above zero.
     *
     * Emits a {TwinListed} event.
     */
    function list(uint256 deviceId, uint96 price) external;

    /**
     * @notice Withdraws twin `deviceId` from sale.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity; the twin is listed.
     *
     * Emits a {TwinDelisted} event.
     */
    function delist(uint256 deviceId) external;

    /**
     * @notice Buys listed twin `deviceId`, paying exactly its price; the seller's proceeds wait for {withdraw}.
     * @dev Over- or under-payment reverts, so a price change between signing and mining never costs the buyer.
     *
     * Requirements:
     * - the twin is listed and Active; the seller is an approved entity (a revoked seller cannot sell);
     * - the caller is an approved owner and not the seller;
     * - `msg.value` equals the price.
     *
     * Emits a {TwinPurchased} event.
     */
    function buy(uint256 deviceId) external payable;

    /**
     * @notice Adds `msg.value` to the caller's balance, the one that holds its sale proceeds, so it can buy with
     * {buyWithBalance}; {withdraw} pays back what is left.
     * @dev A relayed request cannot carry the buyer's ether (the relayer would pay it): the buyer deposits
     * directly, then signs a {buyWithBalance} for the relayer to submit.
     *
     * Requirements:
     * - `msg.value` is above zero.
     *
     * Emits a {Deposited} event.
     */
    function deposit() external payable;

    /**
     * @notice Buys listed twin `deviceId` for `price` wei taken from the caller's balance (deposits and sale
     * proceeds); the seller's proceeds wait for {withdraw}.
     * @dev `price` must be the listed price, so a price change between signing a relayed request and mining it
     * never costs the buyer.
     *
     * Requirements:
     * - the twin is listed and Active; the seller is an approved entity;
     * - the caller is an approved owner and not the seller;
     * - `price` equals the listed price and the caller's balance covers it.
     *
     * Emits a {TwinPurchased} event.
     */
    function buyWithBalance(uint256 deviceId, uint256 price) external;

    /**
     * @notice Sends the caller its whole balance: sale proceeds and unspent deposits (pull payment). A pending or
     * revoked entity keeps this right: what it earned or deposited before stays its own.
     *
     * Requirements:
     * - the caller's balance is above zero; the transfer succeeds.
     *
     * Emits a {ProceedsWithdrawn} event.
     */
    function withdraw() external;

    /**
     * @notice Changes the address whose signatures the oracle accepts as twin `deviceId`'s own data; a no-op when
     * `newSigner` is the current signer.
     * @dev While the twin is Suspended the data that leads to its reactivation must come from a key a security
     * entity vouched for: the owner rotates only to the signer a security entity approved with
     * {approveDeviceSigner}, and the approval is used up.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity; the twin is not deactivated; `newSigner` is not zero;
     * - when the twin is Suspended, a security entity approved `newSigner` during this suspension, and is still an
     *   approved security entity (a revocation voids the approvals it gave);
     * - when the twin is Lost and was Suspended when it was lost, no rotation (it is still under review, and no
     *   security entity approves a signer of a Lost twin): the owner reports it found first.
     *
     * Emits a {DeviceSignerChanged} event when the signer changes.
     */
    function setDeviceSigner(uint256 deviceId, address newSigner) external;

    /**
     * @notice Approves `signer` as the next device signer of suspended twin `deviceId` (e.g. after the owner
     * reflashed a compromised device with a new key), replacing any earlier approval; the approval ends with the
     * suspension, and holds only while the caller stays an approved security entity.
     *
     * Requirements:
     * - the caller is an approved security entity;
     * - the twin is Suspended; `signer` is not zero.
     *
     * Emits a {DeviceSignerApproved} event.
     */
    function approveDeviceSigner(uint256 deviceId, address signer) external;

    /**
     * @notice Records a software or library update installed on device `deviceId`.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity; the twin is not deactivated;
     * - `component` and `version` are 1 to 64 bytes; `artifactCid` is at most 128 bytes.
     *
     * Emits a {DeviceUpdateRecorded} event.
     */
    function recordUpdate(
        uint256 deviceId,
        string calldata component,
        string calldata version,
        bytes32 artifactHash,
        string calldata artifactCid
    ) external;

    /**
     * @notice Sets twin `deviceId` to Active, Suspended or Unknown after analysing its data; a no-op when the twin
     * is already in `newState`.
     *
     * Requirements:
     * - the caller is an approved security entity;
     * - `newState` is Active, Suspended or Unknown; the twin is Active, Suspended or Unknown (not Lost, not
     *   deactivated);
     * - `reason` (hash or CID of the evidence) is at most 256 bytes.
     *
     * Emits a {TwinStateChanged} event when the state changes.
     */
    function setState(uint256 deviceId, TwinState newState, string calldata reason) external;

    /**
     * @notice Reports device `deviceId` lost; a no-op when it is already Lost. The state it leaves is remembered
     * for {reportFound}.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity; the twin is not deactivated; `reason` is at most 256
     *   bytes.
     *
     * Emits a {TwinStateChanged} event when the state changes.
     */
    function reportLost(uint256 deviceId, string calldata reason) external;

    /**
     * @notice Reports lost device `deviceId` found: the twin returns to the state it was in when reported lost
     * (Active, Suspended or Unknown), so being lost never clears a suspension. Back to Suspended, the review starts
     * again: an update recorded after this call, then {requestReview}.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity, or holds the admin role;
     * - the twin is Lost; `reason` is at most 256 bytes.
     *
     * Emits a {TwinStateChanged} event.
     */
    function reportFound(uint256 deviceId, string calldata reason) external;

    /**
     * @notice Ends the life of device `deviceId`: its twin becomes Deactivated for good and leaves the market.
     * The manufacturer may do it only while it still owns the twin: once sold, the twin is its owner's.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity, or holds the admin role;
     * - the twin is not already deactivated; `reason` is at most 256 bytes.
     *
     * Emits a {TwinStateChanged} event.
     */
    function deactivate(uint256 deviceId, string calldata reason) external;

    /**
     * @notice Disputes twin `deviceId` as minted in error (e.g. by a manufacturer that had no right to it) and
     * burns it, whatever its state: its record is deleted and the DeviceID may be minted again, with a fresh
     * device attestation. Proceeds already paid for it stay where they are.
     *
     * Requirements:
     * - the caller holds the registrar role;
     * - the twin exists; `reason` is at most 256 bytes.
     *
     * Emits a {TwinDisputed} event and an ERC-721 {Transfer} to the zero address.
     */
    function dispute(uint256 deviceId, string calldata reason) external;

    /**
     * @notice Asks the security entities to review suspended twin `deviceId` after the owner remediated it.
     *
     * Requirements:
     * - the caller owns the twin and is an approved entity; the twin is Suspended;
     * - the owner recorded at least one update since the suspension; `note` is at most 256 bytes.
     *
     * Emits a {ReviewRequested} event.
     */
    function requestReview(uint256 deviceId, string calldata note) external;

    /// @notice The DeviceID of `identity`: the hash of its identity parameters.
    function computeDeviceId(DeviceIdentity calldata identity) external pure returns (uint256);

    /**
     * @notice The EIP-712 digest a device key signs to let `manufacturer` mint twin `deviceId` on this chain and
     * registry: what {mint}'s `attestation` signs.
     */
    function mintAttestationDigest(uint256 deviceId, address manufacturer) external view returns (bytes32);

    /**
     * @notice The record of twin `deviceId`.
     *
     * Requirements:
     * - the twin exists.
     */
    function twinOf(uint256 deviceId) external view returns (Twin memory);

    /// @notice Whether twin `deviceId` exists.
    function exists(uint256 deviceId) external view returns (bool);

    /// @notice The balance `account` can spend with {buyWithBalance} or {withdraw}: sale proceeds and deposits, in wei.
    function proceedsOf(address account) external view returns (uint256);

    /// @notice How many twins have been minted (disputed and burned ones included).
    function totalMinted() external view returns (uint256);
}
