import { writeDeployment } from '../../twin-core/src/deployment/deployment';
import { SnapshotAnchor__factory } from '../../typechain-types';
import type { BenchChainSetup } from '../benchEnvironment';
import { BENCH_CAST } from './deployBenchRegistry';

/**
 * Deploys a `SnapshotAnchor` of its own for one run (same entity registry, so the oracle account keeps its role) and
 * writes a deployment file naming it. Each run's oracle then sees only its own batches: without it, every batch an
 * earlier run anchored would look to the next oracle like another instance's batch to import ("peer batches",
 * whose manifests its own IPFS store does not hold), which is work a single oracle never does.
 *
 * @example
 * const deploymentFile = await deployRunAnchor(setup, join(workDir, 'deployment-aedes-1000.json'))
 */
export async function deployRunAnchor(setup: BenchChainSetup, deploymentFile: string): Promise<string> {
  const admin = setup.chain.wallet(BENCH_CAST.admin);
  const { EntityRegistry, TwinForwarder } = setup.deployment.contracts;
  const anchor = await new SnapshotAnchor__factory(admin).deploy(EntityRegistry, TwinForwarder);
  await anchor.waitForDeployment();
  writeDeployment(deploymentFile, {
    ...setup.deployment,
    contracts: { ...setup.deployment.contracts, SnapshotAnchor: await anchor.getAddress() },
  });
  return deploymentFile;
}
