/**
 * Deploys the registry to the network Hardhat runs on and writes deployments/<network>.json.
 * The same as `npx hardhat deploy`, for pipelines that prefer `hardhat run`:
 *
 *   npx hardhat run scripts/deploy.ts --network localhost
 *   ORACLE_ADDRESS=0x… npx hardhat run scripts/deploy.ts --network external
 */
import hre from 'hardhat';

async function main(): Promise<void> {
  const oracle = process.env.ORACLE_ADDRESS;
  await hre.run('deploy', oracle ? { oracle } : {});
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
