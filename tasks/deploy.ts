import { task } from 'hardhat/config';
import { deploymentPath } from '../twin-core/src/deployment/deployment';
import { parseAddress, runTask } from './lib/cli';
import { deployRegistry } from './lib/registry';

task(
  'deploy',
  'Deploys the forwarder, entity registry, twin registry and snapshot anchor; writes deployments/<network>.json',
)
  .addOptionalParam('admin', 'Address that receives the admin and registrar roles (default: the deployer)')
  .addOptionalParam('oracle', 'Address that receives the oracle role')
  .addOptionalParam('api', "Address that receives API_ROLE (an API instance's broker login)")
  .setAction((args: { admin?: string; oracle?: string; api?: string }, hre) =>
    runTask(async () => {
      const deployment = await deployRegistry(hre, {
        admin: args.admin === undefined ? undefined : parseAddress(hre, 'admin', args.admin),
        oracle: args.oracle === undefined ? undefined : parseAddress(hre, 'oracle', args.oracle),
        api: args.api === undefined ? undefined : parseAddress(hre, 'api', args.api),
      });
      console.log(
        `Deployed on ${deployment.network} (chain ${deployment.chainId}, block ${deployment.deploymentBlock}):`,
      );
      for (const [name, address] of Object.entries(deployment.contracts))
        console.log(`  ${name.padEnd(15)} ${address}`);
      if (hre.network.name !== 'hardhat') console.log(`Written to ${deploymentPath(hre.network.name)}`);
      return deployment;
    }),
  );

task('grant-oracle', 'Gives an address the oracle role (admin only)')
  .addParam('account', 'Address of the oracle service')
  .addOptionalParam('from', 'Admin account: index or address', '0')
  .setAction(async (args: { account: string; from: string }, hre) => {
    const { grantRole } = await import('./entities');
    return grantRole(hre, 'ORACLE_ROLE', args.account, args.from);
  });

task('grant-api', "Gives an address API_ROLE: an API instance's login to the broker (admin only)")
  .addParam('account', "Address of the API instance's broker key (API_MQTT_KEY, else API_RELAYER_KEY)")
  .addOptionalParam('from', 'Admin account: index or address', '0')
  .setAction(async (args: { account: string; from: string }, hre) => {
    const { grantRole } = await import('./entities');
    return grantRole(hre, 'API_ROLE', args.account, args.from);
  });
