import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TASK_NODE, TASK_NODE_SERVER_READY } from 'hardhat/builtin-tasks/task-names';
import { subtask, task, types } from 'hardhat/config';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { RunningServices, StartServicesParameters } from '../system/startServices';
import { computeDeviceId, formatDeviceId } from '../twin-core/src/identity/deviceId';
import { signMintAttestation } from '../twin-core/src/signing/mintAttestation';
import { encodeStaticDocument, parseStaticDocument } from '../twin-core/src/static/staticDocument';
import type { StaticDocument } from '../twin-core/src/static/schema';
import { deploymentPath } from '../twin-core/src/deployment/deployment';
import { developmentKey } from './lib/accounts';
import { runTask, taskError } from './lib/cli';
import { mintEntries, type MintEntry } from './lib/mint';
import { ENTITY_ROLES } from './lib/names';
import { deployRegistry, ensureContractsBuilt, loadRegistry } from './lib/registry';

/** The demo cast `hardhat start` registers, by account index of the local chain. */
export const DEMO_ACCOUNTS = {
  admin: 0,
  oracle: 1,
  manufacturer: 2,
  owner: 3,
  secondOwner: 4,
  security: 5,
  deviceSigner: 6,
  relayer: 7,
} as const;

/** Seed of the demo's simulated devices: the same twins on every start. */
export const DEMO_SEED = 'npm-start-demo';

/** The security service's warm-up in the demo (default 10 minutes otherwise): alerts come within minutes. */
export const DEMO_SECURITY_WARMUP_SECONDS = 120;

type StartArgs = {
  port: number;
  apiPort: number;
  brokerPort: number;
  devices: number;
  dataDir: string;
  blockTime: number;
  securityWarmup: number;
  noDemo: boolean;
  chainOnly: boolean;
};

let startOptions: StartArgs | undefined;

const DEFAULT_RPC_PORT = 8545;
const DEFAULT_BROKER_PORT = 1883;

task('start', 'Starts the whole system: a local chain, the registry, a demo cast, broker, IPFS, oracle, API, devices')
  .addOptionalParam(
    'port',
    'JSON-RPC port (another one: LOCAL_RPC_URL for the tasks, it prints it)',
    DEFAULT_RPC_PORT,
    types.int,
  )
  .addOptionalParam('apiPort', 'API and dashboard port', 8080, types.int)
  .addOptionalParam('brokerPort', 'Embedded MQTT broker port (unless MQTT_URL is set)', DEFAULT_BROKER_PORT, types.int)
  .addOptionalParam('devices', 'Simulated devices minted and run', 20, types.int)
  .addOptionalParam('dataDir', 'Data directory, emptied at start (the chain is new each time)', '.data/demo')
  .addOptionalParam(
    'blockTime',
    'Seconds between blocks mined on the local chain (transactions also mine)',
    2,
    types.int,
  )
  .addOptionalParam(
    'securityWarmup',
    "Seconds the security service learns each device's baseline before judging it; the demo devices behave meanwhile",
    DEMO_SECURITY_WARMUP_SECONDS,
    types.int,
  )
  .addFlag('noDemo', 'Deploy only: no demo entities, twins or services')
  .addFlag('chainOnly', 'The chain, the registry and the demo cast only: no broker, oracle, API or devices')
  .setAction(async (args: StartArgs, hre) => {
    // The registry's artifacts and the API's TypeChain types, built here on a fresh clone (before the node starts).
    await runTask(async () => {
      if (!(args.securityWarmup >= 1))
        throw taskError(`--security-warmup must be at least 1 second, got ${args.securityWarmup}.`);
      ensureContractsBuilt(hre);
    });
    if (process.env.RPC_URL) return runTask(() => startAgainstExternalChain(args));
    startOptions = args;
    await hre.run(TASK_NODE, { hostname: '127.0.0.1', port: args.port });
  });

subtask(TASK_NODE_SERVER_READY).setAction(async (args: { server: { close(): Promise<void> } }, hre, runSuper) => {
  await runSuper(args);
  if (startOptions === undefined) return;
  const options = startOptions;
  // The node would log every JSON-RPC call of the setup, the oracle and the API; TWIN_VERBOSE keeps it.
  if (!process.env.TWIN_VERBOSE) await hre.network.provider.send('hardhat_setLoggingEnabled', [false]);
  const deployment = await deployRegistry(hre, {
    networkName: 'localhost',
    write: true,
    oracle: await address(hre, DEMO_ACCOUNTS.oracle),
    // The API logs in to the broker with the relayer's key.
    api: await address(hre, DEMO_ACCOUNTS.relayer),
  });
  console.log(`Registry deployed; addresses written to ${deploymentPath('localhost')}:`);
  for (const [name, value] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(15)} ${value}`);
  if (options.noDemo) {
    printOtherTerminal(options.port);
    return console.log('\nReady.');
  }
  const documents = await registerDemo(hre, options.devices);
  if (options.chainOnly) {
    printOtherTerminal(options.port);
    return console.log('\nReady. Try: npx hardhat show-twin --network localhost --device <DeviceID above>');
  }
  await hre.network.provider.send('evm_setIntervalMining', [options.blockTime * 1000]);
  const dataDir = resolve(options.dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  // SECURITY_WARMUP_SECONDS wins over --security-warmup (the service validates it); the devices behave as long.
  const fromEnvironment = Number(process.env.SECURITY_WARMUP_SECONDS);
  const warmup = Number.isFinite(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : options.securityWarmup;
  const services = await startServicesLazily({
    rpcUrl: `http://127.0.0.1:${options.port}`,
    deploymentFile: resolve(deploymentPath('localhost')),
    oracleKey: privateKey(hre, DEMO_ACCOUNTS.oracle),
    relayerKey: privateKey(hre, DEMO_ACCOUNTS.relayer),
    dataDir,
    ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : { brokerPort: options.brokerPort }),
    ...(process.env.IPFS_API_URL ? { ipfsApiUrl: process.env.IPFS_API_URL } : {}),
    apiPort: options.apiPort,
    // The demo security entity (#5) judges the devices once it has learned them: SECURITY_* in the environment wins.
    security: { key: privateKey(hre, DEMO_ACCOUNTS.security) },
    environment: {
      // The dashboard offers the demo cast's development keys for sign-in (GET /demo/accounts): on this local chain only.
      API_DEMO_ACCOUNTS: JSON.stringify(
        [
          ['Raspberry Pi Ltd (demo manufacturer)', DEMO_ACCOUNTS.manufacturer],
          ['Alice (demo owner)', DEMO_ACCOUNTS.owner],
          ['Bob (demo owner)', DEMO_ACCOUNTS.secondOwner],
          ['Twin SOC (demo security entity)', DEMO_ACCOUNTS.security],
        ].map(([label, index]) => ({ label, key: privateKey(hre, index as number) })),
      ),
      SECURITY_WARMUP_SECONDS: String(warmup),
      // One telemetry reading per second.
      SECURITY_WARMUP_SAMPLES: String(Math.max(1, Math.floor(warmup))),
      ...process.env,
    },
    simulator: {
      devices: options.devices,
      seed: DEMO_SEED,
      scenario: 'mixed',
      ratePerSecond: 1,
      snapshotIntervalSeconds: 10,
      // A quarter of the devices misbehave, in episodes of 20-60 s every 2 minutes once the warm-up is over: the
      // first alerts come within minutes.
      episodes: {
        deviceFraction: 0.25,
        periodSeconds: 120,
        minSeconds: 20,
        maxSeconds: 60,
        notBeforeSeconds: warmup,
      },
    },
    log: logLine,
  });
  // The static documents behind the minted CIDs, so the dashboard shows them before devices republish.
  for (const document of documents) await services.oracle.store.add(encodeStaticDocument(document));
  announce(services, dataDir, { demo: true, port: options.port });
  stopOnSignal(services, args.server);
});

/** `npm start` with `RPC_URL`: the services against an external chain whose registry is deployed (no demo). */
async function startAgainstExternalChain(args: StartArgs): Promise<void> {
  const oracleKey = process.env.ORACLE_ORACLE_KEY;
  if (!oracleKey) throw taskError('With RPC_URL, set ORACLE_ORACLE_KEY (the key holding ORACLE_ROLE there).');
  const dataDir = resolve(args.dataDir);
  const services = await startServicesLazily({
    rpcUrl: process.env.RPC_URL!,
    deploymentFile: resolve(process.env.ORACLE_DEPLOYMENT_FILE ?? deploymentPath('external')),
    oracleKey,
    ...(process.env.API_RELAYER_KEY ? { relayerKey: process.env.API_RELAYER_KEY } : {}),
    // The security entity's service too when its key is given (an approved security entity there).
    ...(process.env.SECURITY_SECURITY_KEY ? { security: { key: process.env.SECURITY_SECURITY_KEY } } : {}),
    dataDir,
    ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : { brokerPort: args.brokerPort }),
    ...(process.env.IPFS_API_URL ? { ipfsApiUrl: process.env.IPFS_API_URL } : {}),
    apiPort: args.apiPort,
    log: logLine,
  });
  announce(services, dataDir, { demo: false });
  stopOnSignal(services);
  await new Promise(() => undefined);
}

/** Loads the services only when they start: every other Hardhat command stays fast. */
async function startServicesLazily(parameters: StartServicesParameters): Promise<RunningServices> {
  const { startServices } = await import('../system/startServices');
  return startServices(parameters);
}

/** Warnings and errors of the services, one JSON line each on stderr (info is quiet: the dashboard shows it). */
function logLine(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'info' && !process.env.TWIN_VERBOSE) return;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}

/**
 * What another terminal needs to reach this system: the tasks' `--network localhost` follows LOCAL_RPC_URL (when
 * not on the default port); the agent (`npm run agent -- simulate …`, `run`) logs in to the embedded broker with a
 * token for its realm (TWIN_AGENT_MQTT_REALM, always) and finds it at TWIN_AGENT_MQTT_URL (when not on 1883).
 */
function printOtherTerminal(port: number, embeddedBroker?: { url: string; realm: string }): void {
  const lines: string[] = [];
  if (port !== DEFAULT_RPC_PORT) {
    lines.push(`  export LOCAL_RPC_URL=http://127.0.0.1:${port}      # npx hardhat … --network localhost`);
  }
  if (embeddedBroker !== undefined && embeddedBroker.url !== `mqtt://127.0.0.1:${DEFAULT_BROKER_PORT}`) {
    lines.push(`  export TWIN_AGENT_MQTT_URL=${embeddedBroker.url}   # npm run agent -- simulate …`);
  }
  if (embeddedBroker !== undefined) {
    lines.push(`  export TWIN_AGENT_MQTT_REALM=${embeddedBroker.realm}   # the agent's broker login`);
  }
  if (lines.length === 0) return;
  console.log('\nIn another terminal, first:');
  for (const line of lines) console.log(line);
}

function announce(services: RunningServices, dataDir: string, { demo, port }: { demo: boolean; port?: number }): void {
  console.log('\nServices:');
  console.log(`  MQTT broker     ${services.mqttUrl}${services.broker ? ' (embedded aedes)' : ''}`);
  console.log(`  IPFS            ${services.oracle.store.describe()}`);
  console.log(`  Oracle          data in ${dataDir}`);
  console.log(
    `  Index           PostgreSQL, ${
      process.env.DATABASE_URL
        ? 'external (DATABASE_URL)'
        : `embedded in ${resolve(process.env.STORE_EMBEDDED_DATA_DIR ?? join(dataDir, 'postgres'))}`
    }: shared by the oracle, the API and the security service`,
  );
  if (services.security) {
    const security = services.security.analyzer.config;
    console.log(
      `  Security        ${services.security.address}${demo ? ' (demo security entity #5)' : ''}: judges each ` +
        `device after a ${security.warmupSeconds} s warm-up`,
    );
  }
  console.log(`  API             ${services.api.url}/api/v1 (OpenAPI: ${services.api.url}/api/v1/openapi.json)`);
  if (services.simulator) console.log(`  Devices         ${services.simulator.deviceIds.length} simulated`);
  console.log(`\nDashboard: ${services.api.url}/`);
  // Against an external chain (no port) the tasks need no LOCAL_RPC_URL; the agent still needs the realm.
  printOtherTerminal(
    port ?? DEFAULT_RPC_PORT,
    services.broker ? { url: services.mqttUrl, realm: services.realm } : undefined,
  );
  console.log('\nReady. Ctrl-C stops everything.');
}

function stopOnSignal(services: RunningServices, server?: { close(): Promise<void> }): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the devices, security service, API, oracle, broker and chain…`);
    const forced = setTimeout(() => process.exit(1), 15_000);
    void services
      .stop()
      .then(() => server?.close())
      .then(
        () => {
          clearTimeout(forced);
          console.log('Stopped.');
          process.exit(0);
        },
        (error: Error) => {
          console.error(`stop failed: ${error.message}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function address(hre: HardhatRuntimeEnvironment, index: number): Promise<string> {
  return (await hre.ethers.getSigners())[index]!.address;
}

/** The private key of the local chain's account `index` (Hardhat's well-known development mnemonic). */
function privateKey(hre: HardhatRuntimeEnvironment, index: number): string {
  return developmentKey(hre, index);
}

/**
 * Registers and approves one entity of each kind, mints the demo twin (listed at 1 ETH) and one twin per simulated
 * device: the first half go to the two owners, a few of the rest are listed. Returns every minted static document.
 */
async function registerDemo(hre: HardhatRuntimeEnvironment, devices: number): Promise<StaticDocument[]> {
  const signers = await hre.ethers.getSigners();
  const registry = await loadRegistry(hre);
  const { entities, twins } = registry;
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
  console.log("\nDemo cast (account index: role; keys: Hardhat's development accounts listed above):");
  console.log(`  #${DEMO_ACCOUNTS.admin} ${signers[DEMO_ACCOUNTS.admin]!.address} admin and registrar`);
  console.log(`  #${DEMO_ACCOUNTS.oracle} ${signers[DEMO_ACCOUNTS.oracle]!.address} oracle`);
  for (const member of cast) {
    const signer = signers[member.index]!;
    await (await entities.connect(signer).register(member.role, member.name, hre.ethers.ZeroHash, '')).wait();
    await (await entities.approve(signer.address)).wait();
    console.log(`  #${member.index} ${signer.address} ${member.name}`);
  }
  console.log(`  #${DEMO_ACCOUNTS.deviceSigner} ${signers[DEMO_ACCOUNTS.deviceSigner]!.address} demo device signer`);
  console.log(`  #${DEMO_ACCOUNTS.relayer} ${signers[DEMO_ACCOUNTS.relayer]!.address} API relayer (pays relayed gas)`);

  // The demo manufacturer makes boards of every brand the simulator draws from (a Raspberry Pi 4 for the demo twin).
  const maker = signers[DEMO_ACCOUNTS.manufacturer]!;
  const { createVirtualDevice, SIMULATED_MANUFACTURERS } = await import('../agent/src/simulate');
  for (const brand of SIMULATED_MANUFACTURERS) {
    await (await entities.connect(maker).registerBrand(brand)).wait();
    await (await entities.approveBrand(maker.address, brand)).wait();
  }
  console.log(`  brands of #${DEMO_ACCOUNTS.manufacturer}: ${SIMULATED_MANUFACTURERS.join(', ')}`);

  // Each device's key attests its own twin, as an agent does at provisioning.
  const attest = (deviceId: bigint, key: string) =>
    signMintAttestation(key as `0x${string}`, {
      deviceId,
      manufacturer: maker.address,
      chainId: registry.deployment.chainId,
      registry: registry.deployment.contracts.TwinRegistry,
    });
  const garden = parseStaticDocument(
    JSON.parse(readFileSync(join(__dirname, '..', 'examples', 'static', 'pi4-garden.json'), 'utf8')),
  );
  const deviceSigner = signers[DEMO_ACCOUNTS.deviceSigner]!.address;
  const entries: MintEntry[] = [];
  const gardenId = computeDeviceId(garden.identity);
  entries.push({
    document: garden,
    deviceSigner,
    attestation: attest(gardenId, privateKey(hre, DEMO_ACCOUNTS.deviceSigner)),
    price: hre.ethers.parseEther('1'),
  });
  const simulated = Array.from({ length: devices }, (_, index) => createVirtualDevice(DEMO_SEED, index));
  for (const device of simulated) {
    entries.push({
      document: device.staticDocument,
      deviceSigner: device.address,
      attestation: attest(BigInt(device.deviceId), device.privateKey),
    });
  }
  await mintEntries(registry, maker, entries);
  console.log(`\nDemo twin ${formatDeviceId(gardenId)} (examples/static/pi4-garden.json), listed at 1 ETH.`);

  const manufacturer = twins.connect(maker);
  const owners = [signers[DEMO_ACCOUNTS.owner]!, signers[DEMO_ACCOUNTS.secondOwner]!];
  for (const [index, device] of simulated.entries()) {
    const owner = index < devices / 2 ? owners[index % 2]! : undefined;
    if (owner !== undefined) {
      await (
        await manufacturer['safeTransferFrom(address,address,uint256)'](maker.address, owner.address, device.deviceId)
      ).wait();
    } else if (index % 3 === 0) {
      await (await manufacturer.list(device.deviceId, hre.ethers.parseEther('0.25'))).wait();
    }
  }
  if (devices > 0) {
    console.log(
      `${devices} simulated device twins minted (seed ${JSON.stringify(DEMO_SEED)}): the first half owned by Alice ` +
        'and Bob, the rest by the manufacturer, some listed at 0.25 ETH.',
    );
  }
  return [garden, ...simulated.map((device) => device.staticDocument)];
}
