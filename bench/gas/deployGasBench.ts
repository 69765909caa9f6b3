import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { developmentKey } from '../../tasks/lib/accounts';
import type { EntityRegistry, NaiveSnapshotAnchor, SnapshotAnchor, TwinRegistry } from '../../typechain-types';

/** Entity roles as `IEntityRegistry.EntityRole` numbers them. */
export const ENTITY_ROLE = { Manufacturer: 1, Owner: 2, SecurityEntity: 3 } as const;

/** The registry, the naive baseline and the cast the benchmark acts with. */
export type GasBenchDeployment = {
  entities: EntityRegistry;
  twins: TwinRegistry;
  anchor: SnapshotAnchor;
  naive: NaiveSnapshotAnchor;
  admin: HardhatEthersSigner;
  oracle: HardhatEthersSigner;
  manufacturer: HardhatEthersSigner;
  /** Approved owners: the first buys with ether, the second from its balance. */
  buyer: HardhatEthersSigner;
  balanceBuyer: HardhatEthersSigner;
  security: HardhatEthersSigner;
  deviceSigner: HardhatEthersSigner;
  /** The device signer's private key: it signs each twin's mint attestation. */
  deviceKey: `0x${string}`;
  /** Registered and approved during the benchmark, then receives a transfer. */
  newcomer: HardhatEthersSigner;
};

/**
 * Deploys the forwarder, the three registry contracts and the naive per-snapshot anchor on `hre`'s network, grants
 * the oracle role, and registers and approves a manufacturer, two owners and a security entity. The newcomer stays
 * unregistered, and the manufacturer holds no brand yet: registering and approving them are measured actions.
 *
 * @example
 * const deployment = await deployGasBench(hre)
 */
export async function deployGasBench(hre: HardhatRuntimeEnvironment): Promise<GasBenchDeployment> {
  const { ethers } = hre;
  const [admin, oracle, manufacturer, buyer, balanceBuyer, security, deviceSigner, newcomer] =
    await ethers.getSigners();
  if (newcomer === undefined) throw new Error('the gas benchmark needs 8 accounts on the Hardhat network');
  const forwarder = await ethers.deployContract('TwinForwarder');
  const forwarderAddress = await forwarder.getAddress();
  const entities = await ethers.deployContract('EntityRegistry', [admin!.address, forwarderAddress]);
  const entitiesAddress = await entities.getAddress();
  const twins = await ethers.deployContract('TwinRegistry', [entitiesAddress, forwarderAddress]);
  const anchor = await ethers.deployContract('SnapshotAnchor', [entitiesAddress, forwarderAddress]);
  const naive = await ethers.deployContract('NaiveSnapshotAnchor', [entitiesAddress, forwarderAddress]);
  await (await entities.grantRole(await entities.ORACLE_ROLE(), oracle!.address)).wait();
  const cast = [
    [manufacturer!, ENTITY_ROLE.Manufacturer, 'Raspberry Pi Ltd'],
    [buyer!, ENTITY_ROLE.Owner, 'Alice'],
    [balanceBuyer!, ENTITY_ROLE.Owner, 'Bob'],
    [security!, ENTITY_ROLE.SecurityEntity, 'Twin SOC'],
  ] as const;
  for (const [signer, role, name] of cast) {
    await (await entities.connect(signer).register(role, name, ethers.ZeroHash, '')).wait();
    await (await entities.approve(signer.address)).wait();
  }
  return {
    entities,
    twins,
    anchor,
    naive,
    admin: admin!,
    oracle: oracle!,
    manufacturer: manufacturer!,
    buyer: buyer!,
    balanceBuyer: balanceBuyer!,
    security: security!,
    deviceSigner: deviceSigner!,
    deviceKey: developmentKey(hre, 6) as `0x${string}`,
    newcomer,
  };
}
