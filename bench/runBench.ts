import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentBenchResult } from './agent/runAgentBench';
import { runAgentBench } from './agent/runAgentBench';
import type { ApiBenchResult } from './api/runApiBench';
import { createBenchEnvironment } from './benchEnvironment';
import { deployRunAnchor } from './chain/deployRunAnchor';
import type { GasBenchResult } from './gas/runGasBench';
import type { BenchServerInfo } from './lib/benchDatabases';
import { describeMachine, loadNow, type MachineInfo } from './lib/machine';
import type { BenchOptions } from './options';
import { SOAK_LOAD } from './options';
import { tableRows, type TableRow } from './report/tableRows';
import { runApiSection } from './sections/runApiSection';
import { runIngestSection, type IngestSectionResult } from './sections/runIngestSection';
import { runSection, type SectionOutcome } from './sections/runSection';
import { runSoak, type SoakResult } from './soak/runSoak';

/** Everything one `npm run bench` measured, as written to `bench/results/*.json`. */
export type BenchResults = {
  generatedAt: string;
  quick: boolean;
  /** The command line, to reproduce. */
  command: string;
  options: Omit<BenchOptions, 'outDir'>;
  machine: MachineInfo;
  /**
   * The PostgreSQL server the oracles and APIs of the run shared (embedded, or `DATABASE_URL`'s), when a section used
   * one.
   */
  store?: BenchServerInfo;
  /** The 1-minute load average when the run ended. */
  loadAverageAtEnd: number;
  durationSeconds: number;
  sections: {
    gas: SectionOutcome<GasBenchResult>;
    ingest: SectionOutcome<IngestSectionResult>;
    api: SectionOutcome<ApiBenchResult>;
    agent: SectionOutcome<AgentBenchResult>;
    soak: SectionOutcome<SoakResult>;
  };
  table: TableRow[];
};

const notSelected = (name: string) =>
  ({ status: 'skipped', reason: name === 'soak' ? 'not requested (--soak)' : 'not selected (--only)' } as const);

/**
 * Runs the selected sections in order (gas, agent, ingest, api, soak), each isolated from the others' failures, on a
 * shared chain and a shared PostgreSQL (embedded, or the server of `DATABASE_URL`: a database per oracle run)
 * started when first needed, and returns every figure with the table of targets.
 *
 * @example
 * const results = await runBench(parseBenchArguments(['--quick']), console.log)
 */
export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchResults> {
  const began = performance.now();
  const generatedAt = new Date().toISOString();
  const machine = describeMachine();
  const selected = (name: string) => options.sections.includes(name as never);
  const databaseUrl = process.env.DATABASE_URL;
  const environment = createBenchEnvironment(log, databaseUrl ? { databaseUrl } : {});
  const sections: Partial<BenchResults['sections']> = {};
  let store: BenchServerInfo | undefined;
  try {
    sections.gas = selected('gas')
      ? await runSection(
          'gas',
          async () => (await import('./gas/runGasBench')).runGasBench({ quick: options.quick }),
          log,
        )
      : notSelected('gas');
    sections.agent = selected('agent')
      ? await runSection(
          'agent',
          () => runAgentBench({ snapshots: options.sizes.agentSnapshots, telemetry: options.sizes.agentTelemetry }),
          log,
        )
      : notSelected('agent');
    let dataDirs: Awaited<ReturnType<typeof runIngestSection>>['dataDirs'] = new Map();
    sections.ingest = selected('ingest')
      ? await runSection(
          'ingest',
          async () => {
            const ingest = await runIngestSection(environment, options, log);
            dataDirs = ingest.dataDirs;
            return ingest.result;
          },
          log,
        )
      : notSelected('ingest');
    sections.api = selected('api')
      ? await runSection('api', () => runApiSection(environment, options, dataDirs, log), log)
      : notSelected('api');
    sections.soak = selected('soak')
      ? await runSection(
          'soak',
          async () => {
            const setup = await environment.chainWith(SOAK_LOAD.devices);
            const deploymentFile = await deployRunAnchor(setup, join(environment.workDir, 'deployment-soak.json'));
            return runSoak({
              chain: setup.chain,
              deploymentFile,
              oracleKey: setup.oracleKey,
              twinsOnChain: setup.twins,
              seed: 'bench',
              ...SOAK_LOAD,
              minutes: options.soakMinutes,
              sampleEverySeconds: 10,
              workDir: environment.workDir,
              databases: environment.databases,
              log,
            });
          },
          log,
        )
      : notSelected('soak');
  } finally {
    store = await environment.databases.info().catch(() => undefined);
    await environment.stop({ keepWork: options.keepWork });
    if (options.keepWork) log(`work directory kept: ${environment.workDir}`);
  }
  const { outDir: _outDir, ...recorded } = options;
  const results: Omit<BenchResults, 'table'> = {
    generatedAt,
    quick: options.quick,
    command: `npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    options: recorded,
    machine,
    ...(store ? { store } : {}),
    loadAverageAtEnd: loadNow(),
    durationSeconds: Math.round((performance.now() - began) / 1000),
    sections: sections as BenchResults['sections'],
  };
  return { ...results, table: tableRows(results) };
}
