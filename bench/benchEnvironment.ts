import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../twin-core/src/deployment/deployment';
import { BENCH_CAST, deployBenchRegistry } from './chain/deployBenchRegistry';
import { mintTwins, type MintFigures } from './chain/mintTwins';
import { startBenchChain, type BenchChain } from './chain/startBenchChain';
import { createBenchDatabases, type BenchDatabases } from './lib/benchDatabases';

/** The simulation seed of every benchmark device (twins minted and messages signed from it). */
export const BENCH_SEED = 'bench';

/** Issue 7's chain: a block every 2 s once set up. */
export const BLOCK_INTERVAL_MS = 2_000;

/** The chain the ingest, API and soak sections share: the registry deployed and the devices' twins minted. */
export type BenchChainSetup = {
  chain: BenchChain;
  deployment: Deployment;
  deploymentFile: string;
  /** Account #1's key: it holds ORACLE_ROLE. */
  oracleKey: string;
  /** Account #7's key: it holds API_ROLE (the API's broker login). */
  apiKey: string;
  /** Twins minted so far (devices 0 … twins − 1 of {@link BENCH_SEED}). */
  twins: number;
  mints: MintFigures[];
};

/** A work directory and, once a section asks for them, the shared chain and PostgreSQL server. */
export type BenchEnvironment = {
  workDir: string;
  /**
   * The run's PostgreSQL (the store every oracle and API of the run uses): the embedded server under
   * `<workDir>/postgres`, or the external server of `DATABASE_URL`; a database per oracle run.
   */
  databases: BenchDatabases;
  /** The chain with at least `twins` twins minted (started, deployed and minted on first use). */
  chainWith(twins: number): Promise<BenchChainSetup>;
  /** Stops the chain and the PostgreSQL server, and removes the work directory and databases (unless kept). */
  stop(options: { keepWork: boolean }): Promise<void>;
};

/**
 * Creates the benchmark's environment: a temporary work directory, a lazily started Hardhat node (JSON-RPC, own
 * process) and a lazily started PostgreSQL (embedded, or `databaseUrl`'s server). Minting runs with automining off
 * and `evm_mine` in bulk; afterwards the node mines a block every {@link BLOCK_INTERVAL_MS}
 * (`evm_setAutomine false` + `evm_setIntervalMining`).
 *
 * @example
 * const environment = createBenchEnvironment(log, { databaseUrl: process.env.DATABASE_URL })
 * const { chain, deploymentFile } = await environment.chainWith(10_000)
 */
export function createBenchEnvironment(
  log: (line: string) => void,
  options: { databaseUrl?: string } = {},
): BenchEnvironment {
  const workDir = mkdtempSync(join(tmpdir(), 'twin-bench-'));
  const databases = createBenchDatabases({
    workDir,
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
  });
  let setup: Promise<BenchChainSetup> | undefined;
  let minting = Promise.resolve();
  return {
    workDir,
    databases,
    async chainWith(twins) {
      setup ??= (async () => {
        const chain = await startBenchChain();
        const deploymentFile = join(workDir, 'deployment.json');
        const deployment = await deployBenchRegistry(chain, deploymentFile);
        log(`chain: hardhat node at ${chain.url}, registry deployed`);
        return {
          chain,
          deployment,
          deploymentFile,
          oracleKey: chain.wallet(BENCH_CAST.oracle).privateKey,
          apiKey: chain.wallet(BENCH_CAST.relayer).privateKey,
          twins: 0,
          mints: [],
        };
      })();
      const ready = await setup;
      minting = minting.then(async () => {
        if (ready.twins >= twins) return;
        await ready.chain.provider.send('evm_setIntervalMining', [0]);
        const figures = await mintTwins({
          chain: ready.chain,
          twinRegistry: ready.deployment.contracts.TwinRegistry,
          seed: BENCH_SEED,
          from: ready.twins,
          to: twins,
        });
        ready.twins = twins;
        ready.mints.push(figures);
        log(
          `chain: minted ${figures.twins} twins in ${figures.seconds} s (${figures.perSecond}/s, ${figures.blocks} blocks)`,
        );
        await ready.chain.mineEvery(BLOCK_INTERVAL_MS);
      });
      await minting;
      return ready;
    },
    async stop({ keepWork }) {
      if (setup) await (await setup.catch(() => undefined))?.chain.stop();
      await databases.stop({ keep: keepWork }).catch((error: Error) => log(`PostgreSQL stop failed: ${error.message}`));
      if (!keepWork) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
