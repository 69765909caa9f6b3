import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import { createVirtualDevice, SIMULATED_MANUFACTURERS } from '../../agent/src/simulate';
import { BUILT_AGENT, ensureAgentBuilt } from '../../bench/agent/ensureAgentBuilt';
import { startServices } from '../../system/startServices';
import { createTestDatabase } from '../helpers/store';
import { EntityRegistry__factory, SnapshotAnchor__factory, TwinRegistry__factory } from '../../typechain-types';
import { eventually } from '../api/apiHarness';
import { freePort } from '../helpers/brokers';
import { startGanache, watchGanache, type GanacheNode } from '../helpers/ganache';
import { childEnvironment, field, hardhat } from '../helpers/hardhatCli';

const { ethers } = hre;
const CHAIN_ID = 1337;
const BRAND = 'Twin Test Lab';

describe('the CLI story and the oracle on a second EVM implementation: ganache (Shanghai, 1 s blocks), --network external', function () {
  this.timeout(600_000);
  let ganache: GanacheNode;
  let directory: string;
  let env: NodeJS.ProcessEnv;
  let addresses: string[];
  let registry: string;
  let deviceId: string;

  /** `npx hardhat <task> --network external <args>`, expecting success; returns stdout. */
  async function run(task: string, args: Record<string, string>): Promise<string> {
    const argv = [
      task,
      '--network',
      'external',
      ...Object.entries(args).flatMap(([key, value]) => [`--${key}`, value]),
    ];
    const { code, stdout, stderr } = await hardhat(argv, env);
    expect(code, `${argv.join(' ')}\n${stdout}\n${stderr}`).to.equal(0);
    return stdout;
  }

  before(async function () {
    if ((hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) {
      console.log('    skipped: the ganache CLI story does not run under solidity-coverage (instrumented artifacts)');
      this.skip();
    }
    ganache = await startGanache({ chainId: CHAIN_ID, blockTime: 1, hardfork: 'shanghai' });
    directory = mkdtempSync(join(tmpdir(), 'twin-ganache-'));
    addresses = ganache.keys.map((key) => new ethers.Wallet(key).address);
    env = childEnvironment({
      RPC_URL: ganache.url,
      PRIVATE_KEY: ganache.keys.slice(0, 6).join(','),
      CHAIN_ID: String(CHAIN_ID),
      DEPLOYMENTS_DIR: directory,
    });
  });

  after(async function () {
    await ganache?.stop();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it('ganache serves the Shanghai baseline the contracts are compiled for', async function () {
    const provider = new ethers.JsonRpcProvider(ganache.url, undefined, { staticNetwork: true });
    try {
      expect(Number((await provider.getNetwork()).chainId)).to.equal(CHAIN_ID);
      expect(await provider.send('web3_clientVersion', [])).to.match(/^Ganache\/v7\.9\.2/);
    } finally {
      provider.destroy();
    }
    const config = hre.config.solidity.compilers[0]!;
    expect(config.settings.evmVersion).to.equal('shanghai');
  });

  it('deploy: four contracts, each mined before the next is sent (no "transaction underpriced")', async function () {
    const stdout = await run('deploy', { oracle: addresses[1]! });
    expect(stdout).to.include(`Deployed on external (chain ${CHAIN_ID}`);
    const deployment = JSON.parse(readFileSync(join(directory, 'external.json'), 'utf8')) as {
      chainId: number;
      contracts: Record<string, string>;
    };
    expect(deployment.chainId).to.equal(CHAIN_ID);
    registry = deployment.contracts.TwinRegistry!;
    expect(registry).to.match(/^0x[0-9a-fA-F]{40}$/);
  });

  it('register and approve the cast, and the manufacturer its brand', async function () {
    for (const [from, role] of [
      ['2', 'manufacturer'],
      ['3', 'owner'],
      ['5', 'security'],
    ] as const) {
      await run('register', { role, name: `${role} on ganache`, from });
      await run('approve', { account: addresses[Number(from)]!, from: '0' });
    }
    await run('register-brand', { brand: BRAND, from: '2' });
    await run('approve-brand', { account: addresses[2]!, brand: BRAND, from: '0' });
    const shown = await run('show-entity', { entity: addresses[2]! });
    expect(field(shown, 'status')).to.equal('approved');
    expect(shown).to.include(`${BRAND} (approved)`);
  });

  it('mint with the attestation the agent prints at provisioning, then list, buy and withdraw', async function () {
    ensureAgentBuilt();
    const config = join(directory, 'agent.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: join(directory, 'device'),
        identity: {
          serialNumber: 'ganache-0001',
          manufacturer: BRAND,
          hardwareModel: 'CI board',
          hardwareRevision: '1',
        },
      }),
    );
    const staticFile = join(directory, 'static.json');
    const provisioned = spawnSync(
      process.execPath,
      [BUILT_AGENT.cli, 'identity', '--config', config, '--static-out', staticFile].concat([
        '--manufacturer-account',
        addresses[2]!,
        '--chain-id',
        String(CHAIN_ID),
        '--registry',
        registry,
      ]),
      { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: directory } },
    );
    expect(provisioned.status, provisioned.stderr).to.equal(0);
    const identity = JSON.parse(provisioned.stdout) as { deviceId: string; deviceSigner: string; attestation: string };
    deviceId = identity.deviceId;

    const minted = await run('mint', {
      static: staticFile,
      signer: identity.deviceSigner,
      attestation: identity.attestation,
      price: '0.5',
      from: '2',
    });
    expect(minted).to.include(`Minted twin ${deviceId}`);
    expect(await run('list', { device: deviceId, price: '1', from: '2' })).to.include(`listed at 1 ETH`);
    expect(await run('buy', { device: deviceId, from: '3' })).to.include(`Bought twin ${deviceId} for 1.0 ETH`);
    expect(await run('withdraw', { from: '2' })).to.include(`Withdrew 1.0 ETH to ${addresses[2]}`);
    const twin = await run('show-twin', { device: deviceId });
    expect(field(twin, 'owner')).to.equal(addresses[3]);
    expect(field(twin, 'deviceSigner')).to.equal(identity.deviceSigner);
  });

  it("mint-simulated: the simulator's twins, several mints in flight with consecutive nonces", async function () {
    // The brands set up directly (the CLI path is the story above); the bulk mint is the task.
    const provider = new ethers.JsonRpcProvider(ganache.url, undefined, { staticNetwork: true });
    try {
      const deployment = JSON.parse(readFileSync(join(directory, 'external.json'), 'utf8')) as {
        contracts: Record<string, string>;
      };
      const maker = new ethers.Wallet(ganache.keys[2]!, provider);
      const registrar = new ethers.Wallet(ganache.keys[0]!, provider);
      const entities = EntityRegistry__factory.connect(deployment.contracts.EntityRegistry!, provider);
      for (const brand of SIMULATED_MANUFACTURERS) {
        await (await entities.connect(maker).registerBrand(brand)).wait();
        await (await entities.connect(registrar).approveBrand(maker.address, brand)).wait();
      }
      const stdout = await run('mint-simulated', { seed: '7', devices: '4', from: '2', 'in-flight': '4' });
      expect(stdout).to.include('Minted 4 simulated device twins of seed "7"');
      const twins = TwinRegistry__factory.connect(registry, provider);
      for (let index = 0; index < 4; index++) {
        const device = createVirtualDevice('7', index);
        expect((await twins.twinOf(device.deviceId)).deviceSigner).to.equal(device.address);
      }
    } finally {
      provider.destroy();
    }
  });

  it('the oracle on ganache: the simulated devices’ snapshots anchored, every proof verified by ganache', async function () {
    const services = await startServices({
      rpcUrl: ganache.url,
      deploymentFile: join(directory, 'external.json'),
      oracleKey: ganache.keys[1]!,
      dataDir: join(directory, 'system'),
      index: await (await createTestDatabase()).open(),
      brokerPort: await freePort(),
      apiPort: 0,
      simulator: { devices: 4, seed: '7', scenario: 'normal', ratePerSecond: 2, snapshotIntervalSeconds: 2 },
      environment: { ORACLE_BATCH_SIZE: '8', ORACLE_BATCH_AGE_MS: '500', API_FEED_INTERVAL_MS: '100' },
      log: process.env.DEBUG_GANACHE
        ? (level, message, fields) =>
            console.log(new Date().toISOString(), level, message, JSON.stringify(fields ?? {}))
        : undefined,
    });
    if (process.env.DEBUG_GANACHE) console.log(new Date().toISOString(), 'services started');
    const provider = new ethers.JsonRpcProvider(ganache.url, undefined, { staticNetwork: true });
    const stopWatching = watchGanache(ganache, addresses, () => ({
      oracle: services.oracle.stats().anchoredBatches,
      produced: services.simulator?.produced.snapshot,
      broker: services.broker?.stats()?.connectionsRefused,
    }));
    try {
      const api = `${services.api.url}/api/v1`;
      const deployment = JSON.parse(readFileSync(join(directory, 'external.json'), 'utf8')) as {
        contracts: Record<string, string>;
      };
      const anchor = SnapshotAnchor__factory.connect(deployment.contracts.SnapshotAnchor!, provider);
      const deviceIds = Array.from({ length: 4 }, (_, index) => createVirtualDevice('7', index).deviceId);
      type Snapshot = { deviceId: string; seq: number; hash: string; anchored: boolean };
      const anchored = await eventually(
        async () => {
          const pages = await Promise.all(
            deviceIds.map(async (id) => {
              const response = await fetch(`${api}/twins/${id}/snapshots?pageSize=50`);
              return response.ok ? ((await response.json()) as { items: Snapshot[] }).items : [];
            }),
          );
          return pages.map((items) => items.filter((item) => item.anchored));
        },
        (perDevice) => perDevice.every((items) => items.length >= 2),
        120_000,
        'two anchored snapshots of every simulated device',
        // Four requests a poll, once a second: within the API's 600 a minute per client however long anchoring takes.
        1_000,
      );
      let verified = 0;
      // Two proofs of each device (what was waited for), not every snapshot anchored meanwhile: bounded requests.
      for (const snapshot of anchored.flatMap((items) => items.slice(0, 2))) {
        const response = await fetch(`${api}/twins/${snapshot.deviceId}/snapshots/${snapshot.seq}/proof`);
        expect(response.status).to.equal(200);
        const proof = (await response.json()) as { root: string; proof: string[]; verified: boolean };
        expect(proof.verified, `${snapshot.deviceId} #${snapshot.seq}`).to.equal(true);
        // Checked again here, on ganache, with the served values only.
        expect(
          await anchor.verifySnapshot(proof.root, proof.proof, snapshot.deviceId, snapshot.seq, snapshot.hash),
        ).to.equal(true);
        expect(
          await anchor.verifySnapshot(proof.root, proof.proof, snapshot.deviceId, snapshot.seq + 1, snapshot.hash),
        ).to.equal(false);
        verified++;
      }
      expect(verified).to.be.at.least(8);
      const rejections = (await (await fetch(`${api}/rejections`)).json()) as { items: unknown[] };
      expect(rejections.items, JSON.stringify(rejections.items)).to.deep.equal([]);
    } finally {
      if (process.env.DEBUG_GANACHE) console.log(new Date().toISOString(), 'stopping services');
      await services.stop();
      if (process.env.DEBUG_GANACHE) console.log(new Date().toISOString(), 'services stopped');
      stopWatching();
      provider.destroy();
    }
  });

  it('set-state: the security entity suspends the twin; a refused task names the contract error', async function () {
    await run('set-state', { device: deviceId, state: 'suspended', reason: 'bafy-evidence', from: '5' });
    expect(field(await run('show-twin', { device: deviceId }), 'state')).to.equal('suspended');
    const refused = await hardhat(
      ['list', '--network', 'external', '--device', deviceId, '--price', '2', '--from', '4'],
      env,
    );
    expect(refused.code).to.not.equal(0);
    expect(refused.stdout + refused.stderr).to.include(
      `TwinRegistryNotTwinOwner(${BigInt(deviceId)}, ${addresses[4]})`,
    );
  });
});
