import { mkdirSync } from 'node:fs';
import type { BenchChainSetup } from '../benchEnvironment';
import type { BenchDatabase, BenchDatabases } from '../lib/benchDatabases';
import { round } from '../lib/stats';
import { startBroker } from './startBroker';
import { benchOracleEnv, startOracleProcess } from './startOracleProcess';

/**
 * A store holding the chain mirror only (twins, entities, cursor): a database every ingest run's database is copied
 * from (`CREATE DATABASE … TEMPLATE`).
 */
export type MirrorTemplate = {
  /** The template database (no connection may stay open on it: copies need it idle). */
  database: BenchDatabase;
  twins: number;
  /** Seconds an oracle took from start until its mirror held every twin (the chain read from the deployment). */
  seconds: number;
};

/** Parameters of {@link createMirrorTemplate}. */
export type CreateMirrorTemplateParameters = {
  databases: BenchDatabases;
  /** The template database's name in the run (e.g. `mirror`). */
  name: string;
  /** The template oracle's data directory (its journal and IPFS store, thrown away). */
  directory: string;
};

/**
 * Runs an oracle once on a new database, with no messages, until its chain mirror holds every minted twin, then
 * stops it: that database is the template each ingest run's database is copied from, so that no run spends minutes
 * re-reading the same 10,000 mints. How long that first mirror took is a figure of its own.
 *
 * @example
 * const template = await createMirrorTemplate(setup, { databases: environment.databases, name: 'mirror', directory })
 * const database = await seedFromTemplate(template, { databases: environment.databases, name: 'oracle_aedes_1000', dataDir })
 */
export async function createMirrorTemplate(
  setup: BenchChainSetup,
  parameters: CreateMirrorTemplateParameters,
): Promise<MirrorTemplate> {
  mkdirSync(parameters.directory, { recursive: true });
  const database = await parameters.databases.create(parameters.name);
  const broker = await startBroker('aedes', {
    rpcUrl: setup.chain.url,
    deploymentFile: setup.deploymentFile,
    databaseUrl: database.url,
  });
  try {
    const started = Date.now();
    const oracle = await startOracleProcess({
      env: {
        ...benchOracleEnv({
          rpcUrl: setup.chain.url,
          broker,
          oracleKey: setup.oracleKey,
          deploymentFile: setup.deploymentFile,
          dataDir: parameters.directory,
          databaseUrl: database.url,
        }),
      },
    });
    try {
      if (!(await oracle.waitForTwins(setup.twins, 30 * 60_000))) {
        throw new Error(`the mirror holds ${oracle.latest().twins} of ${setup.twins} twins after 30 minutes`);
      }
      return { database, twins: setup.twins, seconds: round((Date.now() - started) / 1000) };
    } finally {
      await oracle.stop();
    }
  } finally {
    await broker.stop();
  }
}

/**
 * Starts an oracle run: a new data directory (journal and IPFS store start empty) and a new database copied from the
 * template (the chain mirror; no message, batch or ledger row).
 *
 * @example
 * const database = await seedFromTemplate(template, { databases, name: 'oracle_aedes_1000', dataDir })
 */
export async function seedFromTemplate(
  template: MirrorTemplate,
  parameters: { databases: BenchDatabases; name: string; dataDir: string },
): Promise<BenchDatabase> {
  mkdirSync(parameters.dataDir, { recursive: true });
  return parameters.databases.create(parameters.name, { template: template.database });
}
