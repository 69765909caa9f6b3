import { Contract, type JsonRpcProvider, type Wallet } from 'ethers';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import { BaseError } from '../../twin-core/src/errors/BaseError';

/** The contract's `TwinState` values the service sets and reads. */
export const TWIN_STATE = { active: 0, suspended: 1 } as const;

const TWIN_ABI = [
  'function setState(uint256 deviceId, uint8 newState, string reason)',
  'function twinOf(uint256 deviceId) view returns (tuple(address owner, address deviceSigner, address manufacturer, uint8 state, bool forSale, uint96 price, bytes32 staticHash, uint32 updateCount, bool reviewRequested))',
  'event TwinStateChanged(uint256 indexed deviceId, address indexed owner, address indexed by, uint8 previousState, uint8 newState, string reason)',
];
const ENTITY_ABI = [
  'function entityOf(address account) view returns (tuple(uint64 id, uint8 role, uint8 status, uint64 registeredAt, uint64 updatedAt, string name, bytes32 profileHash, string profileCid))',
];
/** `EntityRole.SecurityEntity` and `EntityStatus.Approved` in the contract's enums. */
const SECURITY_ROLE = 3;
const APPROVED = 2;

/** What the service reads of a twin. */
export type TwinView = { owner: string; state: number; reviewRequested: boolean; updateCount: number };

/** The chain as the security service uses it: its own role, twins' states, and its state changes. */
export type SecurityChain = {
  /** Throws unless the service's key is an approved security entity. */
  assertSecurityEntity(): Promise<void>;
  twin(deviceId: string): Promise<TwinView>;
  /** Sets a twin's state with the reason (the evidence CID); resolves with the mined transaction's hash. */
  setState(deviceId: string, state: number, reason: string): Promise<string>;
  /** DeviceIDs whose latest state change is a suspension by this service (what it must watch after a restart). */
  suspendedByMe(): Promise<string[]>;
};

/**
 * The chain side of the security service, signed by its wallet; sends one transaction at a time.
 *
 * @example
 * const chain = createSecurityChain({ wallet, provider, deployment })
 * const tx = await chain.setState(deviceId, TWIN_STATE.suspended, evidenceCid)
 */
export function createSecurityChain(parameters: {
  wallet: Wallet;
  provider: JsonRpcProvider;
  deployment: Deployment;
}): SecurityChain {
  const { wallet, provider, deployment } = parameters;
  const twins = new Contract(deployment.contracts.TwinRegistry, TWIN_ABI, wallet);
  const entities = new Contract(deployment.contracts.EntityRegistry, ENTITY_ABI, provider);
  let sending: Promise<unknown> = Promise.resolve();
  return {
    async assertSecurityEntity() {
      const entity = (await entities.getFunction('entityOf').staticCall(wallet.address)) as {
        role: bigint;
        status: bigint;
      };
      if (Number(entity.role) !== SECURITY_ROLE || Number(entity.status) !== APPROVED) {
        throw new BaseError('The security key is not an approved security entity.', {
          details: `${wallet.address} has role ${entity.role} and status ${entity.status} in the entity registry`,
        });
      }
    },
    async twin(deviceId) {
      const record = (await twins.getFunction('twinOf').staticCall(deviceId)) as {
        owner: string;
        state: bigint;
        reviewRequested: boolean;
        updateCount: bigint;
      };
      return {
        owner: record.owner,
        state: Number(record.state),
        reviewRequested: record.reviewRequested,
        updateCount: Number(record.updateCount),
      };
    },
    setState(deviceId, state, reason) {
      const send = sending.then(async () => {
        const response = await twins.getFunction('setState')(deviceId, state, reason);
        const receipt = await response.wait();
        return receipt!.hash as string;
      });
      sending = send.catch(() => undefined);
      return send;
    },
    async suspendedByMe() {
      const filter = twins.filters.TwinStateChanged!();
      const logs = await twins.queryFilter(filter, deployment.deploymentBlock);
      const latest = new Map<string, { by: string; newState: number }>();
      for (const log of logs) {
        const args = (log as unknown as { args: { deviceId: bigint; by: string; newState: bigint } }).args;
        latest.set(`0x${args.deviceId.toString(16).padStart(64, '0')}`, {
          by: args.by,
          newState: Number(args.newState),
        });
      }
      return [...latest]
        .filter(([, change]) => change.newState === TWIN_STATE.suspended && change.by === wallet.address)
        .map(([deviceId]) => deviceId);
    },
  };
}
