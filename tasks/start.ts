import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_NODE, TASK_NODE_SERVER_READY } from 'hardhat/builtin-tasks/task-names';
import { subtask, task, types } from 'hardhat/config';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { computeDeviceId, formatDeviceId, identityToContractStruct } from '../twin-core/src/identity/deviceId';
import { rawCidV1 } from '../twin-core/src/encoding/rawCid';
import { encodeStaticDocument, hashStaticDocument, parseStaticDocument } from '../twin-core/src/static/staticDocument';
import { deploymentPath } from '../twin-core/src/deployment/deployment';
import { ENTITY_ROLES } from './lib/names';
import { deployRegistry, loadRegistry } from './lib/registry';

/** The demo cast `hardhat start` registers, by account index of the local chain. */
export const DEMO_ACCOUNTS = {
  admin: 0,
  oracle: 1,
  manufacturer: 2,
  owner: 3,
  secondOwner: 4,
  security: 5,
  deviceSigner: 6,
} as const;

let startOptions: { demo: boolean } | undefined;

task('start', 'Starts the local chain on 127.0.0.1, deploys the registry to it and registers a demo cast')
  .addOptionalParam('port', 'JSON-RPC port', 8545, types.int)
  .addFlag('noDemo', 'Deploy only: no demo entities and twin')
  .setAction(async (args: { port: number; noDemo: boolean }, hre) => {
    startOptions = { demo: !args.noDemo };
    await hre.run(TASK_NODE, { hostname: '127.0.0.1', port: args.port });
  });

subtask(TASK_NODE_SERVER_READY).setAction(async (args, hre, runSuper) => {
  await runSuper(args);
  if (startOptions === undefined) return;
  const deployment = await deployRegistry(hre, {
    networkName: 'localhost',
    write: true,
    oracle: await address(hre, DEMO_ACCOUNTS.oracle),
  });
  console.log(`Registry deployed; addresses written to ${deploymentPath('localhost')}:`);
  for (const [name, value] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(15)} ${value}`);
  if (startOptions.demo) await registerDemo(hre);
  console.log('\nReady. Try: npx hardhat show-twin --network localhost --device <DeviceID above>');
});

async function address(hre: HardhatRuntimeEnvironment, index: number): Promise<string> {
  return (await hre.ethers.getSigners())[index]!.address;
}

/** Registers and approves one entity of each kind and mints one demo twin, listed for sale. */
async function registerDemo(hre: HardhatRuntimeEnvironment): Promise<void> {
  const signers = await hre.ethers.getSigners();
  const { entities, twins } = await loadRegistry(hre);
  const cast = [
    {
      index: DEMO_ACCOUNTS.manufacturer,
      role: ENTITY_ROLES.manufacturer,
      name: 'Raspberry Pi Ltd (demo manufacturer)',
    },
    { index: DEMO_ACCOUNTS.owner, role: ENTITY_ROLES.owner, name: 'Alice (demo owner)' },
    { index: DEMO_ACCOUNTS.secondOwner, role: ENTITY_ROLES.owner, name: 'Bob (demo owner)' },
    { index: DEMO_ACCOUNTS.security, role: ENTITY_ROLES.security, name: 'Twin SOC (demo security entity)' },
  ];
  console.log('\nDemo cast (account index: role):');
  console.log(`  #${DEMO_ACCOUNTS.admin} ${signers[DEMO_ACCOUNTS.admin]!.address} admin and registrar`);
  console.log(`  #${DEMO_ACCOUNTS.oracle} ${signers[DEMO_ACCOUNTS.oracle]!.address} oracle`);
  for (const member of cast) {
    const signer = signers[member.index]!;
    await (await entities.connect(signer).register(member.role, member.name, hre.ethers.ZeroHash, '')).wait();
    await (await entities.approve(signer.address)).wait();
    console.log(`  #${member.index} ${signer.address} ${member.name}`);
  }
  console.log(`  #${DEMO_ACCOUNTS.deviceSigner} ${signers[DEMO_ACCOUNTS.deviceSigner]!.address} demo device signer`);

  const document = parseStaticDocument(
    JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'static', 'pi4-garden.json'), 'utf8')),
  );
  const deviceId = computeDeviceId(document.identity);
  await (
    await twins
      .connect(signers[DEMO_ACCOUNTS.manufacturer]!)
      .mint(
        deviceId,
        identityToContractStruct(document.identity),
        hashStaticDocument(document),
        rawCidV1(encodeStaticDocument(document)),
        signers[DEMO_ACCOUNTS.deviceSigner]!.address,
        hre.ethers.parseEther('1'),
      )
  ).wait();
  console.log(`\nDemo twin ${formatDeviceId(deviceId)} (examples/static/pi4-garden.json), listed at 1 ETH.`);
}
