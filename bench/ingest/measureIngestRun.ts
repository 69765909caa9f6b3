import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BrokerAuthStats } from '../../broker/src';
import type { BenchDatabase } from '../lib/benchDatabases';
import { BENCH_SEED } from '../benchEnvironment';
import { brokerUsername } from '../../twin-core/src/broker/principal';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { privateKeyToAddress } from '../../twin-core/src/signing/deviceKey';
import { loadNow } from '../lib/machine';
import { profileWindow } from '../lib/profileWindow';
import { spawnEntry } from '../lib/spawnEntry';
import { round } from '../lib/stats';
import type { ProfileSummary } from '../lib/summarizeCpuProfile';
import type { BenchChain } from '../chain/startBenchChain';
import { INGEST_PHASES, type IngestPhase, type PreparedMessages } from './prepareMessages';
import { runIngestPhase, type PhaseFigures } from './runIngestPhase';
import { startBroker, type BrokerKind } from './startBroker';
import { benchOracleEnv, startOracleProcess } from './startOracleProcess';

/** The oracle settings of the runs (its defaults, but the clock skew: messages are signed ahead of time). */
export const BENCH_ORACLE_SETTINGS = {
  batchSize: 1024,
  batchAgeMs: 5_000,
  confirmations: 1,
  maxClockSkewSeconds: 86_400,
};

/** Parameters of {@link measureIngestRun}. */
export type IngestRunParameters = {
  broker: BrokerKind;
  devices: number;
  prepared: PreparedMessages;
  chain: BenchChain;
  deploymentFile: string;
  /** Holds ORACLE_ROLE on the chain. */
  oracleKey: string;
  /** Twins on chain: the oracle starts once its mirror holds them all. */
  twinsOnChain: number;
  /** The oracle's directory (journal, IPFS store): new. */
  dataDir: string;
  /** The oracle's store: a new database, or a copy of the mirror template (`seedFromTemplate`). */
  database: BenchDatabase;
  /** The embedded PostgreSQL's postmaster, when the run started it: its CPU share (with its backends) is recorded. */
  postgresPid?: number;
  /** Rate of the paced snapshot phase, snapshots per second. */
  pacedRatePerSecond: number;
  /** CPU-profile the oracle from the first published message to the last completion, into this `.cpuprofile`. */
  profileFile?: string;
  log: (line: string) => void;
};

/** The figures of one run: one broker, one number of devices. */
export type IngestRunResult = {
  broker: BrokerKind;
  brokerSettings: Record<string, string | number>;
  devices: number;
  oracleSettings: typeof BENCH_ORACLE_SETTINGS;
  /** Seconds until the oracle ran, and until its chain mirror held every twin. */
  oracleStartSeconds: number;
  mirrorSeconds: number;
  phases: Partial<Record<IngestPhase, PhaseFigures>>;
  oracle: {
    /** RSS once started and mirrored, before any load (the bundled oracle, as `npm run oracle` runs it). */
    startRssMiB: number;
    peakRssMiB: number;
    endRssMiB: number;
    received: number;
    accepted: number;
    rejections: Record<string, number>;
  };
  /** Under `--profile`: where the oracle's CPU time went while it carried the phases. */
  profile?: ProfileSummary;
  /** aedes: the authoriser's counters at the end (nothing refused or throttled in a sound run). */
  brokerAuth?: BrokerAuthStats;
  loadAverage: number;
};

/**
 * One ingest run: starts the broker, the oracle (own process, new data directory, the run's database as
 * `DATABASE_URL`) and the publisher (own process), waits until the oracle mirrors every twin, then publishes the
 * prepared phases in order (static documents, telemetry at full speed, snapshots at full speed, snapshots at
 * `pacedRatePerSecond`), each carried end to end before the next, following completions in the database through a
 * store of the benchmark's own; stops everything and returns the figures. The data directory and the database are
 * kept (the API benchmark serves them).
 *
 * @example
 * const run = await measureIngestRun({ broker: 'aedes', devices: 1000, prepared, chain, deploymentFile, oracleKey, twinsOnChain: 10_000, dataDir, database, pacedRatePerSecond: 500, log })
 */
export async function measureIngestRun(parameters: IngestRunParameters): Promise<IngestRunResult> {
  const { log } = parameters;
  const broker = await startBroker(parameters.broker, {
    rpcUrl: parameters.chain.url,
    deploymentFile: parameters.deploymentFile,
    databaseUrl: parameters.database.url,
    fleetDevices: parameters.devices,
  });
  const oracleUsername = brokerUsername({ kind: 'oracle', id: privateKeyToAddress(parameters.oracleKey as Hex) });
  const stops: (() => Promise<void>)[] = [() => broker.stop()];
  try {
    const index = await parameters.database.open({ schema: 'check' });
    stops.push(() => index.close());
    mkdirSync(parameters.dataDir, { recursive: true });
    if (parameters.profileFile) mkdirSync(dirname(parameters.profileFile), { recursive: true });
    const started = Date.now();
    const oracle = await startOracleProcess({
      env: {
        ...benchOracleEnv({
          rpcUrl: parameters.chain.url,
          broker,
          oracleKey: parameters.oracleKey,
          deploymentFile: parameters.deploymentFile,
          dataDir: parameters.dataDir,
          databaseUrl: parameters.database.url,
        }),
        // A broker with logins: the share group is a secret (oracle/src/config.ts, loadOracleConfig).
        ...(broker.passwordLogin
          ? {
              ORACLE_MQTT_PASSWORD: broker.passwordLogin.password(oracleUsername),
              ORACLE_MQTT_SHARE_GROUP: randomBytes(16).toString('hex'),
            }
          : {}),
        ORACLE_BATCH_SIZE: String(BENCH_ORACLE_SETTINGS.batchSize),
        ORACLE_BATCH_AGE_MS: String(BENCH_ORACLE_SETTINGS.batchAgeMs),
        ORACLE_CONFIRMATIONS: String(BENCH_ORACLE_SETTINGS.confirmations),
        ORACLE_MAX_CLOCK_SKEW_SECONDS: String(BENCH_ORACLE_SETTINGS.maxClockSkewSeconds),
      },
      profiler: parameters.profileFile !== undefined,
    });
    stops.unshift(() => oracle.stop());
    const oracleStartSeconds = round((Date.now() - started) / 1000);
    if (!(await oracle.waitForTwins(parameters.twinsOnChain, 10 * 60_000))) {
      throw new Error(`the oracle's mirror holds ${oracle.latest().twins} of ${parameters.twinsOnChain} twins`);
    }
    const mirrorSeconds = round((Date.now() - started) / 1000);
    const startRssMiB = round(oracle.latest().rssMiB);
    log(`  oracle up in ${oracleStartSeconds} s, mirror complete in ${mirrorSeconds} s`);

    // The publisher logs in as the simulator does: a fleet proving each device's key, a connection per 400 devices.
    const login =
      broker.realm !== undefined
        ? [JSON.stringify({ realm: broker.realm, seed: BENCH_SEED, devices: parameters.devices })]
        : broker.passwordLogin
        ? [JSON.stringify({ password: broker.passwordLogin.fleet })]
        : [];
    const publisher = spawnEntry({ entry: 'bench/ingest/publisherProcess.ts', args: [broker.url, ...login] });
    stops.unshift(() => publisher.kill(5_000));
    const { connections } = await publisher.waitFor(
      (m) => ((m as { type?: string }).type === 'ready' ? (m as { connections: number }) : undefined),
      120_000,
      'publisher',
    );
    log(`  publisher: ${connections} connection(s), ${broker.realm === undefined ? 'fleet password' : 'fleet tokens'}`);

    const phases: Partial<Record<IngestPhase, PhaseFigures>> = {};
    const profiler = parameters.profileFile ? profileWindow(oracle.process) : undefined;
    await profiler?.start();
    for (const phase of INGEST_PHASES) {
      if (parameters.prepared.counts[phase] === 0) continue;
      const figures = await runIngestPhase({
        phase,
        messagesDirectory: parameters.prepared.directory,
        ...(phase === 'paced' ? { ratePerSecond: parameters.pacedRatePerSecond } : {}),
        publisher,
        oracle,
        index,
        pids: { broker: broker.pid, chain: parameters.chain.pid, publisher: publisher.pid },
        ...(parameters.postgresPid === undefined ? {} : { treePids: { postgres: parameters.postgresPid } }),
      });
      phases[phase] = figures;
      const latency = figures.latency ? `, p50 ${figures.latency.p50Ms} ms, p99 ${figures.latency.p99Ms} ms` : '';
      log(
        `  ${phase}: ${figures.throughput.completed}/${figures.published} in ${figures.throughput.seconds} s, ` +
          `${figures.throughput.perSecond}/s, judged ${
            Number.isNaN(figures.acceptedPerSecond)
              ? '– (faster than the 500 ms samples)'
              : `${figures.acceptedPerSecond}/s`
          }${latency}${figures.complete ? '' : ' (incomplete)'}`,
      );
    }
    const profile = parameters.profileFile ? await profiler!.stop(parameters.profileFile) : undefined;
    const brokerAuth = await broker.authStats().catch(() => undefined);
    const last = oracle.latest();
    const peakRssMiB = round(Math.max(...oracle.history.map((sample) => sample.rssMiB)));
    await publisher.kill(5_000);
    await oracle.stop();
    return {
      broker: parameters.broker,
      brokerSettings: broker.settings,
      devices: parameters.devices,
      oracleSettings: BENCH_ORACLE_SETTINGS,
      oracleStartSeconds,
      mirrorSeconds,
      phases,
      oracle: {
        startRssMiB,
        peakRssMiB,
        endRssMiB: round(last.rssMiB),
        received: last.stats.received,
        accepted: last.stats.accepted,
        rejections: last.stats.rejections,
      },
      ...(profile ? { profile } : {}),
      ...(brokerAuth ? { brokerAuth } : {}),
      loadAverage: loadNow(),
    };
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}
