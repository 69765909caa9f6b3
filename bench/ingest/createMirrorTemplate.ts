import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchChainSetup } from '../benchEnvironment';
import { round } from '../lib/stats';
import { startBroker } from './startBroker';
import { benchOracleEnv, startOracleProcess } from './startOracleProcess';

/** An oracle index holding the chain mirror only (twins, entities, cursor): the start of every ingest run. */
export type MirrorTemplate = {
  /** The data directory whose `index.sqlite` is copied. */
  directory: string;
  twins: number;
  /** Seconds an oracle took from start until its mirror held every twin (the chain read from the deployment). */
  seconds: number;
};

/**
 * Runs an oracle once, with no messages, until its chain mirror holds every minted twin, then stops it: its index
 * (checkpointed at close) is the template each ingest run starts from, so that no run spends minutes re-reading
 * the same 10,000 mints. How long that first mirror took is a figure of its own.
 *
 * @example
 * const template = await createMirrorTemplate(setup, join(workDir, 'mirror-template'))
 * seedFromTemplate(template, dataDir)
 */
export async function createMirrorTemplate(setup: BenchChainSetup, directory: string): Promise<MirrorTemplate> {
  mkdirSync(directory, { recursive: true });
  const broker = await startBroker('aedes', { rpcUrl: setup.chain.url, deploymentFile: setup.deploymentFile });
  try {
    const started = Date.now();
    const oracle = await startOracleProcess({
      env: {
        ...benchOracleEnv({
          rpcUrl: setup.chain.url,
          broker,
          oracleKey: setup.oracleKey,
          deploymentFile: setup.deploymentFile,
          dataDir: directory,
        }),
      },
    });
    try {
      if (!(await oracle.waitForTwins(setup.twins, 30 * 60_000))) {
        throw new Error(`the mirror holds ${oracle.latest().twins} of ${setup.twins} twins after 30 minutes`);
      }
      return { directory, twins: setup.twins, seconds: round((Date.now() - started) / 1000) };
    } finally {
      await oracle.stop();
    }
  } finally {
    await broker.stop();
  }
}

/**
 * Starts a new oracle data directory from the template's index (nothing else: journal, IPFS store and ledger start
 * empty).
 *
 * @example
 * seedFromTemplate(template, join(workDir, 'oracle-aedes-1000'))
 */
export function seedFromTemplate(template: MirrorTemplate, dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const source = join(template.directory, 'index.sqlite');
  if (!existsSync(source)) throw new Error(`no index in the mirror template ${template.directory}`);
  copyFileSync(source, join(dataDir, 'index.sqlite'));
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(source + suffix)) copyFileSync(source + suffix, join(dataDir, `index.sqlite${suffix}`));
  }
}
