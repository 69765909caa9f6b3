import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect } from 'mqtt';
import hre from 'hardhat';
import { createVirtualDevice } from '../../agent/src/simulate';
import { BUILT_AGENT, ensureAgentBuilt } from '../../bench/agent/ensureAgentBuilt';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { hashStaticDocument } from '../../twin-core/src/static/staticDocument';
import { exampleDocuments } from '../fixtures';
import { freePort } from '../helpers/brokers';
import { childEnvironment, COMMAND_TIMEOUT_MS, field, hardhat, killGroup, ROOT } from '../helpers/hardhatCli';
import { skipUnderCoverage } from '../helpers/coverage';
import { createTestDatabase } from '../helpers/store';
import type { Store } from '../../store/src';

const READY_TIMEOUT_MS = 90_000;
/**
 * Simulated devices, and the security service's warm-up (s): with the demo's seed, two of the eight misbehave, and
 * the first episode after the warm-up starts about 30 s after the devices (agent/src/simulate/behaviours.ts).
 */
const DEVICES = 8;
const SECURITY_WARMUP_SECONDS = 20;
/** How long the first alert may take: the warm-up, the next episodes of both devices, detection. */
const ALERT_TIMEOUT_MS = 150_000;

describe('hardhat start (end to end, real processes)', function () {
  this.timeout(180_000);

  const garden = exampleDocuments().find((example) => example.file.endsWith('pi4-garden.json'))!;
  const demoDeviceId = formatDeviceId(computeDeviceId(garden.document.identity));
  let deploymentsDir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let node: ChildProcess | undefined;
  let nodeOutput = '';
  let nodeErrors = '';
  let nodeExited: Promise<void> = Promise.resolve();
  let manufacturer: string;
  let security: string;
  let apiPort: number;
  let brokerPort: number;
  let dataDir: string;
  /** The shared index `npm start` runs on here: a database of the test server (DATABASE_URL). */
  let index: Store | undefined;

  before(async function () {
    skipUnderCoverage(this, 'hardhat start end to end');
    deploymentsDir = mkdtempSync(join(tmpdir(), 'twin-start-'));
    port = await freePort();
    apiPort = await freePort();
    brokerPort = await freePort();
    dataDir = join(deploymentsDir, 'data');
    const database = await createTestDatabase();
    index = await database.open();
    env = childEnvironment({
      DEPLOYMENTS_DIR: deploymentsDir,
      LOCAL_RPC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: database.url,
    });
    const signers = await hre.ethers.getSigners(); // the demo cast's accounts: the same default accounts
    manufacturer = signers[2]!.address; // DEMO_ACCOUNTS.manufacturer
    security = signers[5]!.address; // DEMO_ACCOUNTS.security

    const args = ['--port', String(port), '--api-port', String(apiPort), '--broker-port', String(brokerPort)];
    // Hardhat itself, not through npx: the exit code and the signal handling are the task's own.
    const cli = join(ROOT, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js');
    const demo = ['--devices', String(DEVICES), '--security-warmup', String(SECURITY_WARMUP_SECONDS)];
    const child = spawn(process.execPath, [cli, 'start', ...args, ...demo, '--data-dir', dataDir], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    node = child;
    nodeExited = new Promise((resolve) => child.on('close', () => resolve()));
    child.stdout!.on('data', (chunk: Buffer) => (nodeOutput += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (nodeErrors += chunk.toString()));

    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (nodeOutput.includes('Ready. Ctrl-C stops everything.')) {
          clearInterval(poll);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearInterval(poll);
          reject(
            new Error(
              `hardhat start exited (${
                child.exitCode ?? child.signalCode
              }) before it was ready:\n${nodeOutput}\n${nodeErrors}`,
            ),
          );
        } else if (Date.now() - started > READY_TIMEOUT_MS) {
          clearInterval(poll);
          reject(new Error(`hardhat start was not ready within ${READY_TIMEOUT_MS} ms:\n${nodeOutput}\n${nodeErrors}`));
        }
      }, 100);
    });
  });

  after(async function () {
    if (node !== undefined) {
      killGroup(node, 'SIGTERM');
      const killed = await Promise.race([
        nodeExited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
      ]);
      if (!killed) {
        killGroup(node, 'SIGKILL');
        await nodeExited;
      }
    }
    await index?.close();
    if (deploymentsDir !== undefined) rmSync(deploymentsDir, { recursive: true, force: true });
  });

  it('serves on the chosen port, deploys, and announces the demo twin, the dashboard and the accounts', function () {
    expect(nodeOutput).to.include(`http://127.0.0.1:${port}`);
    expect(nodeOutput).to.include(`addresses written to ${join(deploymentsDir, 'localhost.json')}`);
    expect(nodeOutput).to.include(`Demo twin ${demoDeviceId}`);
    expect(nodeOutput).to.include(`Dashboard: http://127.0.0.1:${apiPort}/`);
    expect(nodeOutput).to.include(`mqtt://127.0.0.1:${brokerPort} (embedded aedes)`);
    expect(nodeOutput).to.match(/#5 0x[0-9a-fA-F]{40} Twin SOC \(demo security entity\)/);
    expect(nodeOutput).to.include(`${DEVICES} simulated device twins minted`);
    expect(nodeOutput).to.include(`Security        ${security} (demo security entity #5)`);
    expect(nodeOutput).to.include(`after a ${SECURITY_WARMUP_SECONDS} s warm-up`);
    expect(nodeOutput).to.include('Index           PostgreSQL, external (DATABASE_URL)');
    // Not on the default ports: it says what another terminal needs.
    expect(nodeOutput).to.include(`export LOCAL_RPC_URL=http://127.0.0.1:${port}`);
    expect(nodeOutput).to.include(`export TWIN_AGENT_MQTT_URL=mqtt://127.0.0.1:${brokerPort}`);
    // The agent's broker login: the realm of this deployment, always printed (the broker refuses anonymous clients).
    expect(otherTerminal()).to.have.property('TWIN_AGENT_MQTT_REALM').that.matches(/^31337:0x[0-9a-f]{40}$/);
  });

  it('the security service runs: a misbehaving device raises an alert, by #5, with its evidence CID', async function () {
    this.timeout(ALERT_TIMEOUT_MS + 30_000);
    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    const twins = (await (await fetch(`${api}/twins?pageSize=50`)).json()) as { items: { deviceId: string }[] };
    expect(twins.items).to.have.length(DEVICES + 1);
    type Alert = { deviceId: string; behaviour: string; score: number; by: string; evidenceCid: string };
    const deadline = Date.now() + ALERT_TIMEOUT_MS;
    let alert: Alert | undefined;
    while (alert === undefined && Date.now() < deadline) {
      for (const twin of twins.items) {
        const response = await fetch(`${api}/twins/${twin.deviceId}/alerts`);
        expect(response.status).to.equal(200);
        alert = ((await response.json()) as { items: Alert[] }).items[0];
        if (alert !== undefined) break;
      }
      if (alert === undefined) await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    expect(alert, `an alert within ${ALERT_TIMEOUT_MS / 1000} s:\n${nodeErrors.slice(-2_000)}`).to.not.equal(undefined);
    expect(alert!.by.toLowerCase()).to.equal(security.toLowerCase());
    expect(alert!.score).to.be.greaterThan(0);
    expect(alert!.behaviour).to.be.a('string').that.is.not.empty;
    expect(alert!.evidenceCid, 'the CID of the evidence stored on IPFS').to.match(/^baf[a-z2-7]{50,}$/);
  });

  it('the whole system comes up: /health all up, and a minted twin gets an anchored, verified snapshot', async function () {
    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    const health = (await (await fetch(`${api}/health`)).json()) as { status: string };
    expect(health.status, JSON.stringify(health)).to.equal('up');
    const deadline = Date.now() + 90_000;
    let verified: { deviceId: string; seq: number; verified: boolean } | undefined;
    while (verified === undefined && Date.now() < deadline) {
      const twins = (await (await fetch(`${api}/twins?pageSize=50`)).json()) as {
        items: { deviceId: string; latestSnapshot: { seq: number; anchored: boolean } | null }[];
      };
      expect(twins.items).to.have.length(DEVICES + 1);
      const anchored = twins.items.find((twin) => twin.latestSnapshot?.anchored);
      if (anchored) {
        const proof = await fetch(`${api}/twins/${anchored.deviceId}/snapshots/${anchored.latestSnapshot!.seq}/proof`);
        if (proof.status === 200) verified = (await proof.json()) as typeof verified;
      }
      if (verified === undefined) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(verified, 'an anchored snapshot within 90 s').to.not.equal(undefined);
    expect(verified!.verified).to.equal(true);
    // One shared index: the oracle's snapshots, the mirror's twins and the security service's state in one database.
    const count = async (table: string) =>
      Number((await index!.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    expect(await count('twins')).to.equal(DEVICES + 1);
    expect(await count('snapshots')).to.be.greaterThan(0);
    expect(await count('security_sequences'), 'the security service claims what it judges').to.be.greaterThan(0);
  });

  it("offers the dashboard the demo cast's development keys (and only the cast's)", async function () {
    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    const answer = (await (await fetch(`${api}/demo/accounts`)).json()) as {
      development: boolean;
      items: { address: string; role: string; privateKey: string }[];
    };
    expect(answer.development).to.equal(true);
    const signers = await hre.ethers.getSigners();
    expect(answer.items.map((item) => [item.address, item.role])).to.deep.equal([
      [signers[2]!.address, 'manufacturer'],
      [signers[3]!.address, 'owner'],
      [signers[4]!.address, 'owner'],
      [signers[5]!.address, 'security'],
    ]);
  });

  it("the embedded broker's counters are on the API's /metrics (same process): an anonymous login is refused and counted", async function () {
    const metric = async (line: RegExp) => {
      const text = await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/metrics`)).text();
      const match = line.exec(text);
      return match === null ? undefined : Number(match[1]);
    };
    const refused = /^twin_broker_connections_refused_total\{reason="anonymous"\} (\d+)$/m;
    const before = (await metric(refused)) ?? 0;
    const result = await new Promise<Error | undefined>((resolve) => {
      const client = connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'start-test-anonymous', reconnectPeriod: 0 });
      client.once('connect', () => (client.end(true), resolve(undefined)));
      client.once('error', (error) => (client.end(true), resolve(error)));
    });
    expect(result, 'the anonymous client is refused').to.be.instanceOf(Error);
    expect(await metric(refused)).to.equal(before + 1);
    // The oracle, the API, the security service and the simulator logged in.
    expect(await metric(/^twin_broker_connections_accepted_total (\d+)$/m)).to.be.greaterThanOrEqual(4);
    expect(await metric(/^twin_broker_connected_clients (\d+)$/m)).to.be.greaterThanOrEqual(4);
    expect(await metric(/^twin_broker_publishes_throttled_total (\d+)$/m)).to.be.a('number');
  });

  it('writes DEPLOYMENTS_DIR/localhost.json for chain 31337, with code at every address', async function () {
    const deployment = JSON.parse(readFileSync(join(deploymentsDir, 'localhost.json'), 'utf8')) as {
      network: string;
      chainId: number;
      contracts: Record<string, string>;
    };
    expect(deployment.network).to.equal('localhost');
    expect(deployment.chainId).to.equal(31337);
    expect(Object.keys(deployment.contracts).sort()).to.deep.equal([
      'EntityRegistry',
      'SnapshotAnchor',
      'TwinForwarder',
      'TwinRegistry',
    ]);
    const provider = new hre.ethers.JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, { staticNetwork: true });
    try {
      for (const [name, address] of Object.entries(deployment.contracts)) {
        expect(nodeOutput, name).to.include(address);
        expect(await provider.getCode(address), name).to.not.equal('0x');
      }
    } finally {
      provider.destroy();
    }
  });

  it('show-twin over localhost shows the demo twin: owned by the manufacturer, active, listed at 1.0', async function () {
    const { code, stdout, stderr } = await hardhat(
      ['show-twin', '--network', 'localhost', '--device', demoDeviceId],
      env,
    );
    expect(code, stderr).to.equal(0);
    expect(field(stdout, 'deviceId')).to.equal(demoDeviceId);
    expect(field(stdout, 'owner')).to.equal(manufacturer);
    expect(field(stdout, 'manufacturer')).to.equal(manufacturer);
    expect(field(stdout, 'state')).to.equal('active');
    expect(field(stdout, 'forSale')).to.equal('true');
    expect(field(stdout, 'price')).to.equal('1.0');
    expect(field(stdout, 'staticHash')).to.equal(hashStaticDocument(garden.document));
  });

  it('a write task over localhost (list --price 2 --from 2) changes what show-twin shows', async function () {
    const listed = await hardhat(
      ['list', '--network', 'localhost', '--device', demoDeviceId, '--price', '2', '--from', '2'],
      env,
    );
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.include(`Twin ${demoDeviceId} listed at 2 ETH`);

    const { code, stdout, stderr } = await hardhat(
      ['show-twin', '--network', 'localhost', '--device', demoDeviceId],
      env,
    );
    expect(code, stderr).to.equal(0);
    expect(field(stdout, 'price')).to.equal('2.0');
    expect(field(stdout, 'forSale')).to.equal('true');
    expect(field(stdout, 'owner')).to.equal(manufacturer);
  });

  it("the README's purchase over localhost: Alice (#3) buys, the manufacturer (#2) withdraws", async function () {
    const alice = (await hre.ethers.getSigners())[3]!.address;
    const refused = await hardhat(
      ['buy', '--network', 'localhost', '--device', demoDeviceId, '--max-price', '1', '--from', '3'],
      env,
    );
    expect(refused.code).to.not.equal(0);
    expect(`${refused.stdout}\n${refused.stderr}`).to.include('costs 2.0 ETH, above --max-price 1');

    const bought = await hardhat(['buy', '--network', 'localhost', '--device', demoDeviceId, '--from', '3'], env);
    expect(bought.code, bought.stderr).to.equal(0);
    expect(bought.stdout).to.include(`Bought twin ${demoDeviceId} for 2.0 ETH`);

    const withdrawn = await hardhat(['withdraw', '--network', 'localhost', '--from', '2'], env);
    expect(withdrawn.code, withdrawn.stderr).to.equal(0);
    expect(withdrawn.stdout).to.include(`Withdrew 2.0 ETH to ${manufacturer}`);

    const { code, stdout, stderr } = await hardhat(
      ['show-twin', '--network', 'localhost', '--device', demoDeviceId],
      env,
    );
    expect(code, stderr).to.equal(0);
    expect(field(stdout, 'owner')).to.equal(alice);
    expect(field(stdout, 'forSale')).to.equal('false');
    expect(field(stdout, 'state')).to.equal('active');
  });

  it("the owner commands a simulated device from the CLI: signed, relayed, obeyed, answered (and a stranger's refused)", async function () {
    const device = createVirtualDevice('npm-start-demo', 0); // DEMO_SEED: the first half of the devices are Alice's (#3)
    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    const command = (from: string) =>
      hardhat(
        ['command', '--network', 'localhost', '--device', device.deviceId, '--command', 'fan', '--args', '{"action":"turn_on","speed":100}', '--from', from, '--api', api],
        env,
      );
    // The device learns its owner from the oracle's twin record soon after start: retried until it answers.
    let result = await command('3');
    for (let attempt = 0; attempt < 10 && !/succeeded/.test(result.stdout); attempt++) result = await command('3');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('succeeded');
    expect(result.stdout).to.include('"state":{"on":true,"level":100}');
    const stranger = await command('4');
    expect(stranger.code).to.not.equal(0);
    expect(stranger.stderr).to.match(/403 not-twin-owner/);
  });

  it('a failing task over localhost exits non-zero with the contract error by name', async function () {
    // Account 4 (the demo owner Bob) does not own the demo twin.
    const { code, stdout, stderr } = await hardhat(
      ['list', '--network', 'localhost', '--device', demoDeviceId, '--price', '3', '--from', '4'],
      env,
    );
    expect(code).to.not.equal(0);
    expect(`${stdout}\n${stderr}`).to.include('TwinRegistryNotTwinOwner');
  });

  /** The `export NAME=value` lines `npm start` printed for another terminal. */
  const otherTerminal = (): Record<string, string> =>
    Object.fromEntries([...nodeOutput.matchAll(/^\s*export (\w+)=(\S+)/gm)].map((match) => [match[1]!, match[2]!]));

  it("the README's simulator example: mint-simulated --seed 7, then the agent's simulate --seed 7 (with only the printed exports) is accepted", async function () {
    const minted = await hardhat(
      ['mint-simulated', '--network', 'localhost', '--seed', '7', '--devices', '3', '--from', '2'],
      env,
    );
    expect(minted.code, minted.stderr).to.equal(0);
    expect(minted.stdout).to.include('Minted 3 simulated device twins of seed "7"');
    expect(minted.stdout).to.include('npm run agent -- simulate --devices 3 --seed 7');
    const deviceIds: string[] = [0, 1, 2].map((index) => createVirtualDevice('7', index).deviceId);

    ensureAgentBuilt();
    const simulated = spawnSync(
      process.execPath,
      [BUILT_AGENT.cli, 'simulate', '--devices', '3', '--seed', '7'].concat([
        '--rate',
        '1',
        '--snapshot-interval',
        '2',
        '--duration',
        '8',
      ]),
      {
        cwd: ROOT,
        // Another terminal: only what npm start printed (the broker's URL and realm), nothing known from inside.
        env: {
          ...env,
          ...otherTerminal(),
          TWIN_AGENT_DATA_DIR: join(deploymentsDir, 'simulated-devices'),
          TWIN_AGENT_LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
        timeout: COMMAND_TIMEOUT_MS,
      },
    );
    expect(simulated.status, simulated.stderr).to.equal(0);

    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    const deadline = Date.now() + 60_000;
    let withSnapshots: string[] = [];
    while (withSnapshots.length < deviceIds.length && Date.now() < deadline) {
      // spawnSync above held this process long enough for the API to close the idle keep-alive socket fetch reuses
      // first ("other side closed"): a failed fetch is tried again on a new connection.
      const response = await fetch(`${api}/twins?pageSize=100`).catch(() => fetch(`${api}/twins?pageSize=100`));
      const twins = (await response.json()) as {
        items: { deviceId: string; latestSnapshot: { seq: number } | null }[];
      };
      withSnapshots = twins.items
        .filter((twin) => deviceIds.includes(twin.deviceId) && twin.latestSnapshot !== null)
        .map((twin) => twin.deviceId);
      if (withSnapshots.length < deviceIds.length) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(withSnapshots.sort(), 'every simulated device has an accepted snapshot').to.deep.equal(
      [...deviceIds].sort(),
    );
  });

  it('works on an "external" chain given by RPC_URL and PRIVATE_KEY: deploy, then read back', async function () {
    const { mnemonic, path } = hre.config.networks.hardhat.accounts as { mnemonic: string; path: string };
    const key = hre.ethers.HDNodeWallet.fromPhrase(mnemonic, undefined, `${path}/0`).privateKey;
    const external = childEnvironment({ DEPLOYMENTS_DIR: deploymentsDir, LOCAL_RPC_URL: `http://127.0.0.1:${port}` });
    external.RPC_URL = `http://127.0.0.1:${port}`;
    external.PRIVATE_KEY = key;
    const deployed = await hardhat(['deploy', '--network', 'external'], external);
    expect(deployed.code, deployed.stderr).to.equal(0);
    expect(deployed.stdout + deployed.stderr).not.to.contain(key.slice(2));
    const file = JSON.parse(readFileSync(join(deploymentsDir, 'external.json'), 'utf8')) as {
      chainId: number;
      network: string;
    };
    expect(file).to.include({ chainId: 31337, network: 'external' });
    const shown = await hardhat(['show-entity', '--network', 'external', '--entity', manufacturer], external);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(field(shown.stdout, 'status')).to.equal('none'); // a fresh registry: nobody registered yet

    external.PRIVATE_KEY = '0xnot-a-key';
    const refused = await hardhat(['deploy', '--network', 'external'], external);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr + refused.stdout).to.contain('PRIVATE_KEY');
  });

  it('stops cleanly on SIGINT (Ctrl-C) and frees every port', async function () {
    killGroup(node!, 'SIGINT');
    const exitCode = await new Promise<number | null>((resolve) => {
      if (node!.exitCode !== null) resolve(node!.exitCode);
      node!.on('exit', (code) => resolve(code));
    });
    await nodeExited;
    expect(exitCode, `${nodeOutput}\n${nodeErrors}`).to.equal(0);
    expect(nodeOutput).to.include('Stopped.');
    for (const freed of [port, apiPort, brokerPort]) {
      await new Promise<void>((resolve, reject) => {
        const probe = createServer();
        probe.once('error', (error) => reject(new Error(`port ${freed} still taken: ${error.message}`)));
        probe.listen(freed, '127.0.0.1', () => probe.close(() => resolve()));
      });
    }
    node = undefined;
  });
});
