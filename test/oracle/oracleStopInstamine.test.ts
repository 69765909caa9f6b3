import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAgentConfig } from '../../agent/src/config';
import { runSimulator } from '../../agent/src/runSimulator';
import { createSimulation } from '../../agent/src/simulate/createSimulation';
import { unfinishedBatches } from '../../oracle/src/anchor/recovery';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { writeDeployment } from '../../twin-core/src/deployment/deployment';
import { twinMintFields } from '../../twin-core/src/static/mintFields';
import { startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import type { Store } from '../../store/src';
import { waitFor } from './waitFor';
import { CAST, deployOnNode, mintOnNode, type NodeRegistry } from './chain/deployOnNode';
import { startHardhatNode, type HardhatNode } from './chain/hardhatNode';

const ROOT = resolve(__dirname, '..', '..');
const SEED = 'oracle-stop-instamine';
/** Longer than any stop needs; a stop waiting for a block never ends on an instamine chain. */
const STOP_BOUND_MS = 45_000;

/** Resolves with `promise`, or rejects naming `what` once `ms` have passed. */
function within<result>(promise: Promise<result>, ms: number, what: string): Promise<result> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

describe('The oracle on an instamine chain (a Hardhat node mining only on transactions)', function () {
  this.timeout(240_000);
  let node: HardhatNode;
  let registry: NodeRegistry;
  let broker: AedesBroker;
  let directory: string;
  let environment: Record<string, string>;
  let child: ChildProcess | undefined;
  let restarted: RunningOracle | undefined;
  let database: TestDatabase;
  let index: Store | undefined;

  before(async function () {
    node = await startHardhatNode(); // automine, no block time: a block only when a transaction comes
    registry = await deployOnNode(node);
    directory = mkdtempSync(join(tmpdir(), 'oracle-instamine-'));
    const deploymentFile = join(directory, 'deployment.json');
    writeDeployment(deploymentFile, registry.deployment);
    const [device] = createSimulation({
      devices: 1,
      ratePerSecond: 1,
      snapshotIntervalSeconds: 1,
      scenario: 'normal',
      seed: SEED,
      startTimeMs: Date.now(),
    }).devices;
    await mintOnNode(node, registry, twinMintFields(device!.staticDocument), device!.privateKey);
    broker = await startAedes();
    database = await createTestDatabase();
    environment = {
      DATABASE_URL: database.url,
      RPC_URL: node.url,
      MQTT_URL: broker.url,
      ORACLE_ORACLE_KEY: node.wallet(CAST.oracle).privateKey,
      ORACLE_DEPLOYMENT_FILE: deploymentFile,
      ORACLE_DATA_DIR: join(directory, 'oracle'),
      ORACLE_MQTT_PROTOCOL_VERSION: '4',
      ORACLE_MQTT_SHARED: 'false',
      ORACLE_CONFIRMATIONS: '1',
      ORACLE_BATCH_AGE_MS: '300',
      ORACLE_VERIFY_THREADS: '0',
    };
  });

  after(async function () {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await restarted?.stop().catch(() => undefined);
    await index?.close();
    await broker?.stop();
    await node?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('npm run oracle stops on SIGINT with a batch sent and not final, without waiting for a block', async function () {
    child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '-T', 'oracle/src/cli.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, ...environment },
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
    await waitUntil(() => output.includes('oracle subscribed'), 90_000, `the oracle to subscribe:\n${output}`);

    const simulator = await runSimulator({
      config: loadAgentConfig({
        environment: { TWIN_AGENT_MQTT_URL: broker.url, TWIN_AGENT_DATA_DIR: join(directory, 'device') },
      }),
      devices: 1,
      ratePerSecond: 1,
      scenario: 'normal',
      seed: SEED,
      snapshotIntervalSeconds: 1,
      durationSeconds: 2,
    });
    await simulator.finished;
    await simulator.publisher.drain(30_000);
    await simulator.stop();

    // The batch's transaction is mined at once; its confirmation would need another block, which never comes.
    let anchored = 0n;
    for (const deadline = Date.now() + 60_000; anchored === 0n && Date.now() < deadline; ) {
      anchored = await registry.anchor.batchCount();
      if (anchored === 0n) await new Promise((wait) => setTimeout(wait, 200));
    }
    expect(anchored, `a batch anchored on chain:\n${output.slice(-2_000)}`).to.be.greaterThan(0n);

    process.kill(-child.pid!, 'SIGINT');
    const code = await within(exited, STOP_BOUND_MS, 'npm run oracle after SIGINT on an instamine chain');
    expect(code, output.slice(-2_000)).to.equal(0);
    expect(output).to.include('oracle stopped');
    expect(output).to.include('batch left unfinished for the next start');
  });

  it('a new start does not wait for a block either, and confirms what the first run left unfinished', async function () {
    const config = loadOracleConfig({ environment });
    // In this process, on the first run's database (its unfinished batch is read from there).
    index = await database.open();
    restarted = await within(
      runOracle(config, undefined, { index }),
      STOP_BOUND_MS,
      'the restart on an instamine chain',
    );
    // What the first run left unfinished is confirmed now (by the chain mirror or the resumed anchoring).
    await node.mine(1);
    await waitFor(
      async () => (await unfinishedBatches(restarted!.index)).length === 0,
      30_000,
      'every batch the first run left unfinished confirmed',
    );
    await within(restarted.stop(), STOP_BOUND_MS, 'stop()');
    restarted = undefined;
  });
});
