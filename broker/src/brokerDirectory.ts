import { Contract, id as roleId, type Provider } from 'ethers';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import {
  chainEventTotals,
  createTwinLoader,
  deviceIdKey,
  listCursors,
  TWIN_STATES,
  type Store,
  type TwinLoader,
} from '../../store/src';

/** A twin as the broker judges its device: its current device signer and state name. */
export type BrokerTwin = { deviceSigner: string; state: (typeof TWIN_STATES)[number] };

/**
 * What the broker asks of the chain: each answer from the chain mirror (the shared index) when there is one, else
 * from the chain itself; `version` moves whenever an answer may have changed (a mirror step, a new block), and the
 * broker then checks every connected client again.
 */
export type BrokerDirectory = {
  twin(deviceId: string): Promise<BrokerTwin | undefined>;
  /**
   * The twins of many devices at once (a fleet's login), by the DeviceIDs as given (undefined: no such twin): with a
   * mirror one statement for all of them. Without it, the broker asks {@link twin} for each.
   */
  twins?(deviceIds: readonly string[]): Promise<Map<string, BrokerTwin | undefined>>;
  /** Whether `account` holds the entity registry role `roleName` (`ORACLE_ROLE`, `API_ROLE`). */
  hasRole(roleName: string, account: string): Promise<boolean>;
  /** Whether `account` is an approved security entity. */
  isSecurityEntity(account: string): Promise<boolean>;
  /** Changes when any answer may have: the mirror's last block (with an index), else the chain's head. */
  version(): Promise<number>;
  /**
   * Changes when a twin's answer may have (default: {@link version}): with a mirror, when it recorded a registry
   * event (a mint, a transfer, a deactivation, a new device signer…), not at every block, so devices and fleets
   * are checked again only then.
   */
  twinsVersion?(): Promise<number>;
};

const TWIN_ABI = [
  'function exists(uint256 deviceId) view returns (bool)',
  'function twinOf(uint256 deviceId) view returns (tuple(address owner, address deviceSigner, address manufacturer, uint8 state, bool forSale, uint96 price, bytes32 staticHash, uint32 updateCount, bool reviewRequested))',
];
const ENTITY_ABI = [
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function hasEntityRole(address account, uint8 role) view returns (bool)',
];
/** `EntityRole.SecurityEntity` on chain. */
const SECURITY_ENTITY_ROLE = 3;

/** Parameters of {@link createBrokerDirectory}. */
export type CreateBrokerDirectoryParameters = {
  provider: Provider;
  deployment: Deployment;
  /**
   * The shared index (the store the chain mirror writes), read for twins; a function when the store opens after
   * the broker starts. Without it, twins are read from the chain.
   */
  index?: Store | (() => Store | undefined);
};

/**
 * The broker's view of the chain. Twins come from the mirror when it has them (no RPC call per connection), else from
 * `TwinRegistry.twinOf`; roles from `EntityRegistry.hasRole` and `hasEntityRole`. Chain answers are kept until
 * {@link BrokerDirectory.version} moves.
 *
 * @example
 * const directory = createBrokerDirectory({ provider, deployment, index: () => oracle?.index })
 */
export function createBrokerDirectory(parameters: CreateBrokerDirectoryParameters): BrokerDirectory {
  const { provider, deployment } = parameters;
  const twins = new Contract(deployment.contracts.TwinRegistry, TWIN_ABI, provider);
  const entities = new Contract(deployment.contracts.EntityRegistry, ENTITY_ABI, provider);
  const indexOf = () => (typeof parameters.index === 'function' ? parameters.index() : parameters.index);
  // The mirror's twins read in batches: logins at once (a fleet's 400 devices each) share statements.
  const loaders = new WeakMap<Store, TwinLoader>();
  const loaderOf = (index: Store) => {
    let loader = loaders.get(index);
    if (loader === undefined) loaders.set(index, (loader = createTwinLoader(index)));
    return loader;
  };
  const cache = new Map<string, Promise<unknown>>();
  let cachedAt = -1;
  const cached = <value>(key: string, load: () => Promise<value>): Promise<value> => {
    let answer = cache.get(key) as Promise<value> | undefined;
    if (answer === undefined) {
      answer = load();
      answer.catch(() => cache.delete(key));
      if (cache.size > 10_000) cache.clear();
      cache.set(key, answer);
    }
    return answer;
  };
  const chainTwin = (deviceId: string) =>
    cached(`twin:${deviceId}`, async (): Promise<BrokerTwin | undefined> => {
      if (!((await twins.getFunction('exists').staticCall(deviceId)) as boolean)) return undefined;
      const record = (await twins.getFunction('twinOf').staticCall(deviceId)) as {
        deviceSigner: string;
        state: bigint;
      };
      return { deviceSigner: record.deviceSigner, state: TWIN_STATES[Number(record.state)] ?? 'unknown' };
    });
  return {
    async twin(deviceId) {
      const index = indexOf();
      const mirrored = index === undefined ? undefined : await loaderOf(index).load(deviceId);
      if (mirrored !== undefined) return { deviceSigner: mirrored.deviceSigner, state: mirrored.state };
      return chainTwin(deviceId);
    },
    async twins(deviceIds) {
      const index = indexOf();
      // A DeviceID that is none (not 0x + 64 hex) has no twin in the mirror; the chain is asked as for one device.
      const valid = deviceIds.filter((deviceId) => isDeviceIdKey(deviceId));
      const mirrored = index === undefined || valid.length === 0 ? new Map() : await loaderOf(index).loadMany(valid);
      const answers = new Map<string, BrokerTwin | undefined>();
      for (const deviceId of deviceIds) {
        const twin = isDeviceIdKey(deviceId) ? mirrored.get(deviceIdKey(deviceId)) : undefined;
        answers.set(
          deviceId,
          twin !== undefined ? { deviceSigner: twin.deviceSigner, state: twin.state } : await chainTwin(deviceId),
        );
      }
      return answers;
    },
    hasRole: (roleName, account) =>
      cached(`role:${roleName}:${account.toLowerCase()}`, async () =>
        Boolean(await entities.getFunction('hasRole').staticCall(roleId(roleName), account)),
      ),
    isSecurityEntity: (account) =>
      cached(`security:${account.toLowerCase()}`, async () =>
        Boolean(await entities.getFunction('hasEntityRole').staticCall(account, SECURITY_ENTITY_ROLE)),
      ),
    async twinsVersion() {
      const index = indexOf();
      if (index === undefined) return this.version();
      // The registry's events the mirror recorded (not the anchor's batches): their count and newest block (a reorg
      // deletes rows). One statement a second.
      const totals = await chainEventTotals(index, { contracts: ['TwinRegistry', 'EntityRegistry'] });
      return totals.events * 1_000_003 + totals.lastBlock;
    },
    async version() {
      const index = indexOf();
      const head = await provider.getBlockNumber();
      const mirrored =
        index === undefined ? 0 : Math.max(0, ...(await listCursors(index)).map((c) => c.lastProcessedBlock));
      const version = head * 1_000_003 + mirrored;
      if (version !== cachedAt) {
        cache.clear();
        cachedAt = version;
      }
      return version;
    },
  };
}

function isDeviceIdKey(deviceId: string): boolean {
  try {
    deviceIdKey(deviceId);
    return true;
  } catch {
    return false;
  }
}
