import { join, resolve } from 'node:path';
import { runApiBench, type ApiBenchResult } from '../api/runApiBench';
import { BENCH_SEED, type BenchEnvironment } from '../benchEnvironment';
import { deployRunAnchor } from '../chain/deployRunAnchor';
import { measureIngestRun } from '../ingest/measureIngestRun';
import type { BenchOptions } from '../options';
import { postgres, prepareInProcess, type IngestDataDir } from './runIngestSection';

/**
 * The API section at the largest device count: on the oracle data directory and database the ingest section left
 * for it, or, without one (`--only api`), on ones filled through the real path first (twins mirrored from the chain,
 * a static document and one telemetry reading per device published through the oracle; no snapshots).
 *
 * @example
 * const api = await runApiSection(environment, options, ingestDataDirs, log)
 */
export async function runApiSection(
  environment: BenchEnvironment,
  options: BenchOptions,
  ingestDataDirs: Map<number, IngestDataDir>,
  log: (line: string) => void,
): Promise<ApiBenchResult> {
  const devices = Math.max(...options.sizes.devices);
  const setup = await environment.chainWith(devices);
  let filled = ingestDataDirs.get(devices);
  let source: string;
  if (filled !== undefined) {
    const { sizes } = options;
    source =
      `the chain mirror of ${setup.twins} minted twins and what the ${filled.broker} ingest run at ${devices} devices ` +
      `carried through the oracle (${devices} static documents, ${sizes.telemetry} telemetry readings, ` +
      `${sizes.snapshots + sizes.paced} snapshots)`;
  } else {
    log(`api: filling a store for ${devices} devices through the oracle`);
    const plan = { devices, seed: BENCH_SEED, telemetry: devices, snapshots: 0, paced: 0 };
    const prepared = await prepareInProcess(plan, join(environment.workDir, `messages-api-${devices}`));
    const dataDir = join(environment.workDir, `oracle-api-${devices}`);
    // A new database: the run's oracle mirrors the chain into it before anything is published.
    const database = await environment.databases.create(`oracle_api_${devices}`);
    const deploymentFile = await deployRunAnchor(setup, join(environment.workDir, 'deployment-api.json'));
    await measureIngestRun({
      broker: 'aedes',
      devices,
      prepared,
      chain: setup.chain,
      deploymentFile,
      oracleKey: setup.oracleKey,
      twinsOnChain: setup.twins,
      dataDir,
      database,
      ...postgres(environment),
      pacedRatePerSecond: options.sizes.pacedRatePerSecond,
      log,
    });
    filled = { dataDir, database, deploymentFile, broker: 'aedes' };
    source =
      `the chain mirror of ${setup.twins} minted twins, with a static document and one telemetry reading per device ` +
      'published through the oracle (no snapshots)';
  }
  return runApiBench({
    rpcUrl: setup.chain.url,
    deploymentFile: filled.deploymentFile,
    oracleKey: setup.oracleKey,
    apiKey: setup.apiKey,
    dataDir: filled.dataDir,
    database: filled.database,
    source,
    workDir: environment.workDir,
    connections: options.sizes.apiConnections,
    durationSeconds: options.sizes.apiSeconds,
    runs: options.apiRuns,
    ...(options.apiCompare !== undefined ? { compareRoot: resolve(options.apiCompare) } : {}),
    ...(options.profile ? { profileDir: join(environment.workDir, 'profiles') } : {}),
    log,
  });
}
