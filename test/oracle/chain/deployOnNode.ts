import hre from 'hardhat';
import type { ContractTransactionResponse, TransactionReceipt } from 'ethers';
import type { Deployment } from '../../../twin-core/src/deployment/deployment';
import type { EntityRegistry, SnapshotAnchor, TwinRegistry } from '../../../typechain-types';
import { SIMULATED_MANUFACTURERS } from '../../../agent/src/simulate';
import { signMintAttestation } from '../../../twin-core/src/signing/mintAttestation';
import type { TwinMintFields } from '../../../twin-core/src/static/mintFields';
import { exampleBrands, Role } from '../../fixtures';
import type { HardhatNode } from './hardhatNode';

/** The node's accounts as the tests use them (the demo cast of `npm start`, plus a second device key). */
export const CAST = {
  admin: 0,
  oracle: 1,
  manufacturer: 2,
  alice: 3,
  bob: 4,
  security: 5,
  deviceSigner: 6,
  newSigner: 7,
} as const;

/** The registry deployed on a node: its deployment record and the contracts, typed. */
export type NodeRegistry = {
  deployment: Deployment;
  entities: EntityRegistry;
  twins: TwinRegistry;
  anchor: SnapshotAnchor;
};

/** Waits for a transaction and returns its receipt. */
export async function mined(sent: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await sent).wait();
  if (receipt === null) throw new Error('no receipt');
  return receipt;
}

/**
 * Deploys the registry on the node with the compiled artifacts (as `deployRegistry` does), grants the oracle role
 * and registers and approves the manufacturer (holding every brand of the examples and of the simulator), two owners
 * and the security entity.
 *
 * @example
 * const { deployment, twins } = await deployOnNode(node)
 */
export async function deployOnNode(node: HardhatNode): Promise<NodeRegistry> {
  const admin = node.wallet(CAST.admin);
  const deploy = async (name: string, args: unknown[]) => {
    const factory = await hre.ethers.getContractFactory(name, admin);
    const contract = await factory.deploy(...args);
    const receipt = await contract.deploymentTransaction()!.wait();
    return { address: await contract.getAddress(), block: receipt!.blockNumber };
  };
  const forwarder = await deploy('TwinForwarder', []);
  const entitiesAt = await deploy('EntityRegistry', [admin.address, forwarder.address]);
  const twinsAt = await deploy('TwinRegistry', [entitiesAt.address, forwarder.address]);
  const anchorAt = await deploy('SnapshotAnchor', [entitiesAt.address, forwarder.address]);

  const entities = await hre.ethers.getContractAt('EntityRegistry', entitiesAt.address, admin);
  const twins = await hre.ethers.getContractAt('TwinRegistry', twinsAt.address, admin);
  const anchor = await hre.ethers.getContractAt('SnapshotAnchor', anchorAt.address, admin);
  await mined(entities.grantRole(await entities.ORACLE_ROLE(), node.wallet(CAST.oracle).address));
  const cast = [
    [CAST.manufacturer, Role.Manufacturer, 'Raspberry Pi Ltd'],
    [CAST.alice, Role.Owner, 'Alice'],
    [CAST.bob, Role.Owner, 'Bob'],
    [CAST.security, Role.SecurityEntity, 'Twin SOC'],
  ] as const;
  for (const [account, role, name] of cast) {
    await mined(
      entities.connect(node.wallet(account)).register(role, name, hre.ethers.ZeroHash, `bafy-profile-${account}`),
    );
    await mined(entities.approve(node.wallet(account).address));
  }
  const manufacturer = node.wallet(CAST.manufacturer);
  for (const brand of new Set([...exampleBrands(), ...SIMULATED_MANUFACTURERS])) {
    await mined(entities.connect(manufacturer).registerBrand(brand));
    await mined(entities.approveBrand(manufacturer.address, brand));
  }
  return {
    deployment: {
      network: 'localhost',
      chainId: 31337,
      deploymentBlock: forwarder.block,
      deployedAt: new Date().toISOString(),
      deployer: admin.address,
      contracts: {
        TwinForwarder: forwarder.address,
        EntityRegistry: entitiesAt.address,
        TwinRegistry: twinsAt.address,
        SnapshotAnchor: anchorAt.address,
      },
    },
    entities,
    twins,
    anchor,
  };
}

/**
 * Mints `twin` from the node's manufacturer with `deviceKey`'s attestation (the shared `signMintAttestation`) and
 * waits for it.
 *
 * @example
 * await mintOnNode(node, registry, twinMintFields(device.staticDocument), device.privateKey)
 */
export async function mintOnNode(
  node: HardhatNode,
  registry: NodeRegistry,
  twin: TwinMintFields,
  deviceKey: string,
  price = 0n,
): Promise<TransactionReceipt> {
  const manufacturer = node.wallet(CAST.manufacturer);
  const attestation = signMintAttestation(deviceKey as `0x${string}`, {
    deviceId: twin.deviceId,
    manufacturer: manufacturer.address,
    chainId: registry.deployment.chainId,
    registry: registry.deployment.contracts.TwinRegistry,
  });
  const signer = new hre.ethers.Wallet(deviceKey).address;
  return mined(
    registry.twins
      .connect(manufacturer)
      .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, signer, price, attestation),
  );
}
