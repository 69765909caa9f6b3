import { API_ROLE_NAME } from '../../twin-core/src/broker/principal';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import {
  deploymentPath,
  DeploymentError,
  readDeployment,
  writeDeployment,
  type Deployment,
} from '../../twin-core/src/deployment/deployment';
import { ensureBuilt } from '../../scripts/ensureBuilt';
import { knownContractErrors } from './cli';
import type { EntityRegistry, SnapshotAnchor, TwinForwarder, TwinRegistry } from '../../typechain-types';

/** The registry's contracts on one network, typed, connected to the default signer. */
export type Registry = {
  deployment: Deployment;
  forwarder: TwinForwarder;
  entities: EntityRegistry;
  twins: TwinRegistry;
  anchor: SnapshotAnchor;
};

/** Parameters of {@link deployRegistry}. */
export type DeployRegistryParameters = {
  /** Receives the admin and registrar roles (default: the first signer). */
  admin?: string;
  /** Receives the oracle role when given. */
  oracle?: string;
  /** Receives `API_ROLE` (the API instance's broker login, see broker/README.md) when given. */
  api?: string;
  /** Write `deployments/<network>.json` (default: true except on the in-process network). */
  write?: boolean;
  /**
   * Network name to record (default: the current one). `hardhat start` deploys on the in-process chain it serves
   * and records it as `localhost`, the name clients reach it by.
   */
  networkName?: string;
};

/**
 * Builds the contracts when their artifacts or TypeChain types are missing or stale (scripts/ensureBuilt.js: a
 * cheap check when they are current), so that a task works on a fresh clone. Never under solidity-coverage, whose
 * instrumented artifacts are what its tests must deploy (tasks/coverage.ts).
 *
 * @example
 * ensureContractsBuilt(hre) // before the first getContractAt / deployContract
 */
export function ensureContractsBuilt(hre: HardhatRuntimeEnvironment): void {
  ensureBuilt(['contracts'], { root: hre.config.paths.root });
}

/** The in-process chain lives as long as the process: its deployment is remembered here, never in a file. */
const inProcess = new WeakMap<object, Deployment>();

/**
 * Deploys the forwarder, the entity registry, the twin registry and the snapshot anchor, and records where.
 *
 * @example
 * const deployment = await deployRegistry(hre, { oracle: oracleAddress })
 */
export async function deployRegistry(
  hre: HardhatRuntimeEnvironment,
  parameters: DeployRegistryParameters = {},
): Promise<Deployment> {
  ensureContractsBuilt(hre);
  const { ethers, network } = hre;
  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) throw new DeploymentError(`No signer on network ${network.name}: set PRIVATE_KEY.`);
  const admin = parameters.admin ?? deployer.address;

  // One transaction at a time, each mined before the next is sent: a node with a block time (ganache, a testnet)
  // may count only mined transactions for the next nonce, and a second one sent early would reuse the first one's
  // nonce ("transaction underpriced").
  const deploy = async (name: string, args: unknown[]) => {
    const contract = await ethers.deployContract(name, args, deployer);
    const mined = await contract.deploymentTransaction()!.wait();
    if (mined === null) throw new DeploymentError(`The ${name} deployment was dropped before it was mined.`);
    return { address: await contract.getAddress(), block: mined.blockNumber };
  };
  const forwarder = await deploy('TwinForwarder', []);
  const forwarderAddress = forwarder.address;
  const entitiesAddress = (await deploy('EntityRegistry', [deployer.address, forwarderAddress])).address;
  const twinsAddress = (await deploy('TwinRegistry', [entitiesAddress, forwarderAddress])).address;
  const anchorAddress = (await deploy('SnapshotAnchor', [entitiesAddress, forwarderAddress])).address;

  const registry = await ethers.getContractAt('EntityRegistry', entitiesAddress, deployer);
  if (parameters.oracle !== undefined) {
    await (await registry.grantRole(await registry.ORACLE_ROLE(), parameters.oracle)).wait();
  }
  if (parameters.api !== undefined) {
    await (await registry.grantRole(ethers.id(API_ROLE_NAME), parameters.api)).wait();
  }
  if (admin.toLowerCase() !== deployer.address.toLowerCase()) {
    for (const role of [await registry.REGISTRAR_ROLE(), await registry.DEFAULT_ADMIN_ROLE()]) {
      await (await registry.grantRole(role, admin)).wait();
    }
    for (const role of [await registry.REGISTRAR_ROLE(), await registry.DEFAULT_ADMIN_ROLE()]) {
      await (await registry.renounceRole(role, deployer.address)).wait();
    }
  }

  const networkName = parameters.networkName ?? network.name;
  const deployment: Deployment = {
    network: networkName,
    chainId: Number((await ethers.provider.getNetwork()).chainId),
    deploymentBlock: forwarder.block,
    deployedAt: new Date().toISOString(),
    deployer: deployer.address,
    contracts: {
      TwinForwarder: forwarderAddress,
      EntityRegistry: entitiesAddress,
      TwinRegistry: twinsAddress,
      SnapshotAnchor: anchorAddress,
    },
  };
  if (parameters.write ?? networkName !== 'hardhat') writeDeployment(deploymentPath(networkName), deployment);
  if (network.name === 'hardhat') inProcess.set(network.provider, deployment);
  return deployment;
}

/**
 * The registry on the current network: from `deployments/<network>.json`, checked against the chain (same chain
 * ID, code at every address). On the in-process network it deploys on first use.
 *
 * @example
 * const { twins } = await loadRegistry(hre)
 */
export async function loadRegistry(hre: HardhatRuntimeEnvironment): Promise<Registry> {
  ensureContractsBuilt(hre);
  const { ethers, network } = hre;
  // The chain first: an unreachable node is the first thing to fix, whatever the deployment file says.
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  let deployment = network.name === 'hardhat' ? inProcess.get(network.provider) : undefined;
  if (deployment === undefined) {
    deployment = network.name === 'hardhat' ? await deployRegistry(hre) : readDeployment(deploymentPath(network.name));
  }
  if (chainId !== deployment.chainId) {
    throw new DeploymentError(
      `Deployment for ${network.name} is for chain ${deployment.chainId}, but the node is chain ${chainId}.`,
    );
  }
  for (const [name, address] of Object.entries(deployment.contracts)) {
    if ((await ethers.provider.getCode(address)) === '0x') {
      throw new DeploymentError(`No ${name} contract at ${address} on ${network.name}.`, {
        details: 'the chain was reset since the deployment: deploy again (npx hardhat deploy --network <network>)',
      });
    }
  }
  const { contracts } = deployment;
  const registry: Registry = {
    deployment,
    forwarder: await ethers.getContractAt('TwinForwarder', contracts.TwinForwarder),
    entities: await ethers.getContractAt('EntityRegistry', contracts.EntityRegistry),
    twins: await ethers.getContractAt('TwinRegistry', contracts.TwinRegistry),
    anchor: await ethers.getContractAt('SnapshotAnchor', contracts.SnapshotAnchor),
  };
  knownContractErrors.set('TwinForwarder', registry.forwarder.interface);
  knownContractErrors.set('EntityRegistry', registry.entities.interface);
  knownContractErrors.set('TwinRegistry', registry.twins.interface);
  knownContractErrors.set('SnapshotAnchor', registry.anchor.interface);
  return registry;
}
