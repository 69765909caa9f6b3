import { id as roleId, ZeroHash } from 'ethers';
import { API_ROLE_NAME } from '../../twin-core/src/broker/principal';
import { SIMULATED_MANUFACTURERS } from '../../agent/src/simulate';
import { writeDeployment, type Deployment } from '../../twin-core/src/deployment/deployment';
import {
  EntityRegistry__factory,
  SnapshotAnchor__factory,
  TwinForwarder__factory,
  TwinRegistry__factory,
} from '../../typechain-types';
import { ENTITY_ROLE } from '../gas/deployGasBench';
import type { BenchChain } from './startBenchChain';

/** The node's accounts as the benchmark uses them (the demo cast of `npm start`). */
export const BENCH_CAST = { admin: 0, oracle: 1, manufacturer: 2, alice: 3, bob: 4, security: 5, relayer: 7 } as const;

/**
 * Deploys the registry on the chain (forwarder, entities, twins, anchor) with the compiled artifacts, grants the
 * oracle role to account #1 and `API_ROLE` to the relayer (#7, the API's broker login), registers and approves the manufacturer (#2, holding every brand the simulator's devices
 * name), two owners (#3, #4) and the security entity (#5), and writes the deployment record to `deploymentFile`. Needs automining (each step waits for its
 * receipt).
 *
 * @example
 * const deployment = await deployBenchRegistry(chain, '/tmp/bench/deployment.json')
 */
export async function deployBenchRegistry(chain: BenchChain, deploymentFile: string): Promise<Deployment> {
  const admin = chain.wallet(BENCH_CAST.admin);
  const forwarder = await new TwinForwarder__factory(admin).deploy();
  const deployed = await forwarder.deploymentTransaction()!.wait();
  const forwarderAddress = await forwarder.getAddress();
  const entities = await new EntityRegistry__factory(admin).deploy(admin.address, forwarderAddress);
  await entities.waitForDeployment();
  const entitiesAddress = await entities.getAddress();
  const twins = await new TwinRegistry__factory(admin).deploy(entitiesAddress, forwarderAddress);
  const anchor = await new SnapshotAnchor__factory(admin).deploy(entitiesAddress, forwarderAddress);
  await Promise.all([twins.waitForDeployment(), anchor.waitForDeployment()]);
  await (await entities.grantRole(await entities.ORACLE_ROLE(), chain.wallet(BENCH_CAST.oracle).address)).wait();
  // The API logs in to the broker with the relayer's key (as in `npm start`).
  await (await entities.grantRole(roleId(API_ROLE_NAME), chain.wallet(BENCH_CAST.relayer).address)).wait();
  const cast = [
    [BENCH_CAST.manufacturer, ENTITY_ROLE.Manufacturer, 'Raspberry Pi Ltd'],
    [BENCH_CAST.alice, ENTITY_ROLE.Owner, 'Alice'],
    [BENCH_CAST.bob, ENTITY_ROLE.Owner, 'Bob'],
    [BENCH_CAST.security, ENTITY_ROLE.SecurityEntity, 'Twin SOC'],
  ] as const;
  for (const [account, role, name] of cast) {
    const wallet = chain.wallet(account);
    await (await entities.connect(wallet).register(role, name, ZeroHash, `bafy-bench-profile-${account}`)).wait();
    await (await entities.approve(wallet.address)).wait();
  }
  // The benchmark's devices are the simulator's: the manufacturer holds every brand they name.
  const manufacturer = chain.wallet(BENCH_CAST.manufacturer);
  for (const brand of SIMULATED_MANUFACTURERS) {
    await (await entities.connect(manufacturer).registerBrand(brand)).wait();
    await (await entities.approveBrand(manufacturer.address, brand)).wait();
  }
  const deployment: Deployment = {
    network: 'localhost',
    chainId: 31337,
    deploymentBlock: deployed!.blockNumber,
    deployedAt: new Date().toISOString(),
    deployer: admin.address,
    contracts: {
      TwinForwarder: forwarderAddress,
      EntityRegistry: entitiesAddress,
      TwinRegistry: await twins.getAddress(),
      SnapshotAnchor: await anchor.getAddress(),
    },
  };
  writeDeployment(deploymentFile, deployment);
  return deployment;
}
