import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_AGENT, ensureAgentBuilt } from '../agent/ensureAgentBuilt';
import type { BenchChain } from '../chain/startBenchChain';
import type { BenchDatabases } from '../lib/benchDatabases';
import { BENCH_ORACLE_SETTINGS } from '../ingest/measureIngestRun';
import { startBroker } from '../ingest/startBroker';
import { benchOracleEnv, startOracleProcess } from '../ingest/startOracleProcess';
import { loadNow } from '../lib/machine';
import { sampleProcess } from '../lib/processSample';
import { REPO_ROOT } from '../lib/spawnEntry';
import { round, slope } from '../lib/stats';

/** One RSS sample of the oracle during the soak. */
export type SoakSample = { seconds: number; rssMiB: number; heapUsedMiB: number; accepted: number };

/** The soak's figures: the oracle's memory under steady load. */
export type SoakResult = {
  minutes: number;
  load: {
    devices: number;
    telemetryPerSecondPerDevice: number;
    snapshotIntervalSeconds: number;
    offeredPerSecond: number;
  };
  /** Messages the oracle accepted per second over the soak. */
  acceptedPerSecond: number;
  startRssMiB: number;
  endRssMiB: number;
  peakRssMiB: number;
  /** Least-squares RSS slope, MiB per minute, over the whole soak and over its second half. */
  slopeMiBPerMinute: number;
  secondHalfSlopeMiBPerMinute: number;
  samples: SoakSample[];
  loadAverage: number;
};

/** Parameters of {@link runSoak}. */
export type SoakParameters = {
  chain: BenchChain;
  deploymentFile: string;
  oracleKey: string;
  twinsOnChain: number;
  seed: string;
  devices: number;
  minutes: number;
  telemetryPerSecondPerDevice: number;
  snapshotIntervalSeconds: number;
  sampleEverySeconds: number;
  workDir: string;
  /** The run's PostgreSQL: the soak's oracle gets a new database (`soak`). */
  databases: BenchDatabases;
  log: (line: string) => void;
};

/**
 * Runs the oracle (own process, new data directory and database, aedes) under steady load from the agent's simulator (the built
 * CLI, `twin-agent simulate`, signing live on its worker threads) for `minutes`, sampling the oracle's RSS every
 * `sampleEverySeconds`, and reports start, end, peak and slope so that "memory flat" can be judged.
 *
 * @example
 * const soak = await runSoak({ chain, deploymentFile, oracleKey, twinsOnChain, seed: 'bench', devices: 1000, minutes: 10, databases, … })
 */
export async function runSoak(parameters: SoakParameters): Promise<SoakResult> {
  ensureAgentBuilt();
  const dataDir = join(parameters.workDir, 'soak-oracle');
  mkdirSync(dataDir, { recursive: true });
  const database = await parameters.databases.create('soak');
  const broker = await startBroker('aedes', {
    rpcUrl: parameters.chain.url,
    deploymentFile: parameters.deploymentFile,
    databaseUrl: database.url,
  });
  try {
    const oracle = await startOracleProcess({
      env: {
        ...benchOracleEnv({
          rpcUrl: parameters.chain.url,
          broker,
          oracleKey: parameters.oracleKey,
          deploymentFile: parameters.deploymentFile,
          dataDir,
          databaseUrl: database.url,
        }),
        ORACLE_MAX_CLOCK_SKEW_SECONDS: String(BENCH_ORACLE_SETTINGS.maxClockSkewSeconds),
      },
    });
    try {
      if (!(await oracle.waitForTwins(parameters.twinsOnChain, 10 * 60_000))) throw new Error('mirror incomplete');
      const simulator = spawn(
        process.execPath,
        [
          BUILT_AGENT.cli,
          'simulate',
          ...['--devices', String(parameters.devices), '--rate', String(parameters.telemetryPerSecondPerDevice)],
          ...['--profile', 'normal', '--seed', parameters.seed, '--duration', String(parameters.minutes * 60)],
          ...['--snapshot-interval', String(parameters.snapshotIntervalSeconds)],
        ],
        {
          cwd: REPO_ROOT,
          stdio: 'ignore',
          env: {
            ...process.env,
            TWIN_AGENT_MQTT_URL: broker.url,
            // The simulator logs in as a fleet proving each device's key (a connection per 400 devices).
            ...(broker.realm ? { TWIN_AGENT_MQTT_REALM: broker.realm } : {}),
            TWIN_AGENT_DATA_DIR: join(parameters.workDir, 'soak-sim'),
          },
        },
      );
      const simulatorDone = new Promise<void>((resolve) => simulator.once('exit', () => resolve()));
      const began = Date.now();
      const acceptedBefore = oracle.latest().stats.accepted;
      const samples: SoakSample[] = [];
      const sample = () => {
        const latest = oracle.latest();
        samples.push({
          seconds: round((Date.now() - began) / 1000),
          rssMiB: round(sampleProcess(oracle.pid)?.rssMiB ?? latest.rssMiB),
          heapUsedMiB: round(latest.heapUsedMiB),
          accepted: latest.stats.accepted - acceptedBefore,
        });
        const last = samples[samples.length - 1]!;
        parameters.log(`  soak ${last.seconds} s: oracle RSS ${last.rssMiB} MiB, ${last.accepted} accepted`);
      };
      const timer = setInterval(sample, parameters.sampleEverySeconds * 1000);
      await simulatorDone;
      clearInterval(timer);
      sample();
      const x = samples.map((s) => s.seconds / 60);
      const y = samples.map((s) => s.rssMiB);
      const half = Math.floor(samples.length / 2);
      const last = samples[samples.length - 1]!;
      return {
        minutes: parameters.minutes,
        load: {
          devices: parameters.devices,
          telemetryPerSecondPerDevice: parameters.telemetryPerSecondPerDevice,
          snapshotIntervalSeconds: parameters.snapshotIntervalSeconds,
          offeredPerSecond: round(
            parameters.devices * (parameters.telemetryPerSecondPerDevice + 1 / parameters.snapshotIntervalSeconds),
          ),
        },
        acceptedPerSecond: round(last.accepted / Math.max(1, last.seconds)),
        startRssMiB: samples[0]!.rssMiB,
        endRssMiB: last.rssMiB,
        peakRssMiB: Math.max(...y),
        slopeMiBPerMinute: round(slope(x, y), 2),
        secondHalfSlopeMiBPerMinute: round(slope(x.slice(half), y.slice(half)), 2),
        samples,
        loadAverage: loadNow(),
      };
    } finally {
      await oracle.stop();
    }
  } finally {
    await broker.stop();
  }
}
