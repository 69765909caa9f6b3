import { join } from 'node:path';
import { BENCH_SEED, BLOCK_INTERVAL_MS, type BenchEnvironment } from '../benchEnvironment';
import { deployRunAnchor } from '../chain/deployRunAnchor';
import type { MintFigures } from '../chain/mintTwins';
import { createMirrorTemplate, seedFromTemplate, type MirrorTemplate } from '../ingest/createMirrorTemplate';
import { measureIngestRun, type IngestRunResult } from '../ingest/measureIngestRun';
import type { IngestPlan, PreparedMessages } from '../ingest/prepareMessages';
import { mosquittoBinary, type BrokerKind } from '../ingest/startBroker';
import type { BenchDatabase } from '../lib/benchDatabases';
import { spawnEntry } from '../lib/spawnEntry';
import type { BenchOptions } from '../options';

/** The ingest section's figures. */
export type IngestSectionResult = {
  blockIntervalMs: number;
  /** Twins on chain (the oracle mirrors all of them, whatever the run's device count). */
  twinsOnChain: number;
  mint: MintFigures[];
  /** The first chain mirror of every twin (each run's database starts as a copy of that database). */
  mirror: Omit<MirrorTemplate, 'database'>;
  plan: { telemetry: number; snapshots: number; paced: number; pacedRatePerSecond: number };
  prepared: (PreparedMessages & { devices: number })[];
  runs: IngestRunResult[];
  /** Runs that did not happen, with the reason (e.g. Mosquitto not installed). */
  skipped: { broker: BrokerKind; reason: string }[];
  failed: { broker: BrokerKind; devices: number; error: string }[];
};

/** What a run leaves for the API section: its oracle data directory, its database and the deployment it anchored to. */
export type IngestDataDir = { dataDir: string; database: BenchDatabase; deploymentFile: string; broker: BrokerKind };

/** The embedded PostgreSQL's postmaster, for the runs' CPU shares (none for an external server). */
export function postgres(environment: BenchEnvironment): { postgresPid?: number } {
  const pid = environment.databases.serverPid();
  return pid === undefined ? {} : { postgresPid: pid };
}

/**
 * Prepares the messages of a plan in a child process (all cores, before anything is measured).
 *
 * @example
 * const prepared = await prepareInProcess({ devices: 1000, seed: 'bench', telemetry: 20_000, snapshots: 5_000, paced: 2_500 }, dir)
 */
export async function prepareInProcess(plan: IngestPlan, directory: string): Promise<PreparedMessages> {
  const child = spawnEntry({ entry: 'bench/ingest/prepareProcess.ts', args: [JSON.stringify(plan), directory] });
  return child.waitFor(
    (m) => ((m as { type?: string }).type === 'done' ? (m as { prepared: PreparedMessages }).prepared : undefined),
    60 * 60_000,
    'messages prepared',
  );
}

/**
 * The ingest section: mints the largest device count's twins, then for each device count prepares the messages once
 * and runs them through each broker (aedes; Mosquitto when installed), each run on its own copy of the mirror
 * template's database. Returns the figures, and the oracle data directory and database of each device count's last
 * run for the API section.
 *
 * @example
 * const { result, dataDirs } = await runIngestSection(environment, options, log)
 */
export async function runIngestSection(
  environment: BenchEnvironment,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ result: IngestSectionResult; dataDirs: Map<number, IngestDataDir> }> {
  const { sizes } = options;
  const devicesList = [...sizes.devices].sort((a, b) => a - b);
  const setup = await environment.chainWith(Math.max(...devicesList));
  const template = await createMirrorTemplate(setup, {
    databases: environment.databases,
    name: 'mirror',
    directory: join(environment.workDir, 'mirror-template'),
  });
  log(
    `ingest: an oracle mirrored ${template.twins} twins from the chain in ${template.seconds} s (the runs start from it)`,
  );
  const result: IngestSectionResult = {
    blockIntervalMs: BLOCK_INTERVAL_MS,
    twinsOnChain: setup.twins,
    mint: setup.mints,
    mirror: { twins: template.twins, seconds: template.seconds },
    plan: {
      telemetry: sizes.telemetry,
      snapshots: sizes.snapshots,
      paced: sizes.paced,
      pacedRatePerSecond: sizes.pacedRatePerSecond,
    },
    prepared: [],
    runs: [],
    skipped: [],
    failed: [],
  };
  const brokers = options.brokers.filter((broker) => {
    if (broker !== 'mosquitto' || mosquittoBinary() !== undefined) return true;
    result.skipped.push({
      broker,
      reason: 'Mosquitto is not installed (/usr/sbin/mosquitto): apt-get install mosquitto',
    });
    log('ingest: Mosquitto skipped: not installed');
    return false;
  });
  const dataDirs = new Map<number, IngestDataDir>();
  for (const devices of devicesList) {
    const plan: IngestPlan = {
      devices,
      seed: BENCH_SEED,
      telemetry: sizes.telemetry,
      snapshots: sizes.snapshots,
      paced: sizes.paced,
    };
    const prepared = await prepareInProcess(plan, join(environment.workDir, `messages-${devices}`));
    result.prepared.push({ ...prepared, devices });
    log(`ingest: ${devices} devices: ${JSON.stringify(prepared.counts)} prepared and signed in ${prepared.seconds} s`);
    for (const broker of brokers) {
      log(`ingest: ${broker}, ${devices} devices`);
      const dataDir = join(environment.workDir, `oracle-${broker}-${devices}`);
      const profileFile = options.profile
        ? join(environment.workDir, 'profiles', `oracle-${broker}-${devices}.cpuprofile`)
        : undefined;
      try {
        const database = await seedFromTemplate(template, {
          databases: environment.databases,
          name: `oracle_${broker}_${devices}`,
          dataDir,
        });
        const deploymentFile = await deployRunAnchor(
          setup,
          join(environment.workDir, `deployment-${broker}-${devices}.json`),
        );
        const run: IngestRunResult = await measureIngestRun({
          broker,
          devices,
          prepared,
          chain: setup.chain,
          deploymentFile,
          oracleKey: setup.oracleKey,
          twinsOnChain: setup.twins,
          dataDir,
          database,
          ...postgres(environment),
          pacedRatePerSecond: sizes.pacedRatePerSecond,
          ...(profileFile ? { profileFile } : {}),
          log,
        });
        result.runs.push(run);
        dataDirs.set(devices, { dataDir, database, deploymentFile, broker });
      } catch (error) {
        const message = (error as Error).message;
        log(`ingest: ${broker}, ${devices} devices FAILED: ${message.split('\n')[0]}`);
        result.failed.push({ broker, devices, error: message.slice(0, 2_000) });
      }
    }
  }
  return { result, dataDirs };
}
