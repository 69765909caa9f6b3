import { Interface } from 'ethers';

/**
 * The events the chain mirror follows, per contract, as written in `contracts/interfaces/*.sol` (and ERC-721's
 * `Transfer`). Kept here rather than read from build output so the oracle runs without compiled artifacts; a test
 * checks each against the compiled ABI.
 */
export const MIRRORED_EVENTS = {
  TwinRegistry: [
    'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
    'event TwinMinted(uint256 indexed deviceId, address indexed manufacturer, address indexed deviceSigner, bytes32 staticHash, string staticCid, uint256 price)',
    'event TwinListed(uint256 indexed deviceId, address indexed seller, uint256 price)',
    'event TwinDelisted(uint256 indexed deviceId, address indexed seller)',
    'event TwinPurchased(uint256 indexed deviceId, address indexed seller, address indexed buyer, uint256 price)',
    'event DeviceSignerChanged(uint256 indexed deviceId, address indexed owner, address previousSigner, address newSigner)',
    'event DeviceUpdateRecorded(uint256 indexed deviceId, address indexed owner, uint32 indexed index, string component, string version, bytes32 artifactHash, string artifactCid)',
    'event TwinStateChanged(uint256 indexed deviceId, address indexed owner, address indexed by, uint8 previousState, uint8 newState, string reason)',
    'event ReviewRequested(uint256 indexed deviceId, address indexed owner, uint32 updateCount, string note)',
    'event DeviceSignerApproved(uint256 indexed deviceId, address indexed by, address signer)',
    'event TwinDisputed(uint256 indexed deviceId, address indexed owner, address indexed registrar, address manufacturer, string reason)',
  ],
  EntityRegistry: [
    'event EntityRegistered(address indexed account, uint8 indexed role, string name, bytes32 profileHash, string profileCid)',
    'event EntityProfileUpdated(address indexed account, string name, bytes32 profileHash, string profileCid)',
    'event EntityApproved(address indexed account, uint64 indexed entityId, uint8 role, address indexed registrar)',
    'event EntityRevoked(address indexed account, uint64 indexed entityId, address indexed registrar, string reason)',
    'event BrandRegistered(address indexed account, bytes32 indexed brandHash, string brand)',
    'event BrandApproved(address indexed account, bytes32 indexed brandHash, string brand, address indexed registrar)',
    'event BrandRevoked(address indexed account, bytes32 indexed brandHash, string brand, address indexed registrar, string reason)',
  ],
  SnapshotAnchor: [
    'event BatchAnchored(uint64 indexed batchId, bytes32 indexed root, address indexed oracle, uint32 leafCount, string manifestCid)',
  ],
} as const;

/** The contracts whose events the mirror follows. */
export type MirroredContract = keyof typeof MIRRORED_EVENTS;

/**
 * An ethers Interface of the mirrored events of `contract`.
 *
 * @example
 * const description = mirroredInterface('TwinRegistry').parseLog(log)
 */
export function mirroredInterface(contract: MirroredContract): Interface {
  return new Interface(MIRRORED_EVENTS[contract]);
}

/**
 * The topic0 of every mirrored event, for a `getLogs` filter that fetches nothing else (approvals, roles, withdrawals).
 *
 * @example
 * provider.getLogs({ address, topics: [mirroredTopics()], fromBlock, toBlock })
 */
export function mirroredTopics(): string[] {
  const topics: string[] = [];
  for (const contract of Object.keys(MIRRORED_EVENTS) as MirroredContract[]) {
    mirroredInterface(contract).forEachEvent((event) => topics.push(event.topicHash));
  }
  return topics;
}
