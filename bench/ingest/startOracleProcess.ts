import { relative } from 'node:path';
import { ORACLE_BUNDLE_FILE, ORACLE_NODE_FLAGS } from '../../oracle/build/bundleCli';
import type { OracleIpcStats } from '../../oracle/src/run/reportOverIpc';
import { ensureBuilt } from '../../scripts/ensureBuilt';
import { openStore, type Store } from '../../store/src';
import type { BrokerKind } from './startBroker';
import { pollUntil } from '../lib/ports';
import { REPO_ROOT, spawnEntry, type EntryProcess } from '../lib/spawnEntry';

/**
 * What the oracle reports every 500 ms (its counters, RSS and CPU: `oracle/src/run/reportOverIpc.ts`), with the twins
 * the chain mirror has put in its store (counted by the benchmark, at most one query at a time).
 */
export type OracleProcessStats = OracleIpcStats & { twins: number };

/** The oracle in its own process, followed over IPC. */
export type OracleProcess = {
  pid: number;
  process: EntryProcess;
  /** The latest report (every 500 ms). */
  latest(): OracleProcessStats;
  /** Every report since the start, oldest first. */
  history: OracleProcessStats[];
  /** Waits until the chain mirror holds at least `count` twins (false on timeout). */
  waitForTwins(count: number, timeoutMs: number): Promise<boolean>;
  /** Stops the oracle (it closes and anchors its open batch) and waits for the process to end. */
  stop(): Promise<void>;
  stderrTail(): string;
};

/**
 * The environment every benchmark oracle starts from: its chain, broker, key, deployment, data directory (journal,
 * IPFS store) and store (`DATABASE_URL`: the run's PostgreSQL database), and for aedes (MQTT 3.1.1, no shared
 * subscriptions) the protocol settings `npm start` uses too.
 *
 * @example
 * startOracleProcess({ env: { ...benchOracleEnv({ rpcUrl, broker, oracleKey, deploymentFile, dataDir, databaseUrl }), ORACLE_MQTT_CLIENT_ID: 'x' } })
 */
export function benchOracleEnv(parameters: {
  rpcUrl: string;
  broker: { url: string; kind: BrokerKind };
  oracleKey: string;
  deploymentFile: string;
  dataDir: string;
  databaseUrl: string;
}): Record<string, string> {
  return {
    DATABASE_URL: parameters.databaseUrl,
    RPC_URL: parameters.rpcUrl,
    MQTT_URL: parameters.broker.url,
    ORACLE_ORACLE_KEY: parameters.oracleKey,
    ORACLE_DEPLOYMENT_FILE: parameters.deploymentFile,
    ORACLE_DATA_DIR: parameters.dataDir,
    ...(parameters.broker.kind === 'aedes' ? { ORACLE_MQTT_PROTOCOL_VERSION: '4', ORACLE_MQTT_SHARED: 'false' } : {}),
  };
}

/** Parameters of {@link startOracleProcess}. */
export type StartOracleProcessParameters = {
  /** ORACLE_*, RPC_URL, MQTT_URL: the oracle's configuration. */
  env: Record<string, string>;
  /** Preload the profiler hook, to CPU-profile the oracle over a window (`profileWindow`). */
  profiler?: boolean;
  /**
   * How long the oracle may take to start (default 30 minutes): `runOracle` resolves after its first chain sync,
   * which reads every twin minted since the deployment.
   */
  startTimeoutMs?: number;
};

/**
 * Starts the oracle as `npm run oracle` runs it (`node --max-semi-space-size=8 oracle/dist/cli.js`, the bundle built
 * first when missing or stale) with the given configuration and an IPC channel, over which the CLI reports its
 * counters, RSS and CPU; waits until the oracle runs. The twins of its store are counted through a connection of the
 * benchmark's own (`DATABASE_URL` of `env`), so that the oracle process is exactly the one users run.
 *
 * @example
 * const oracle = await startOracleProcess({ env: { DATABASE_URL, RPC_URL, MQTT_URL, ORACLE_ORACLE_KEY, ORACLE_DATA_DIR } })
 * await oracle.waitForTwins(10_000, 120_000)
 */
export async function startOracleProcess(parameters: StartOracleProcessParameters): Promise<OracleProcess> {
  // BENCH_ORACLE_BUNDLE: another build of the CLI (a copy of oracle/dist in a sibling folder), to compare builds.
  const bundle = process.env.BENCH_ORACLE_BUNDLE;
  if (bundle === undefined || bundle === '') ensureBuilt(['oracle']);
  const env = { ...process.env, ...parameters.env };
  const child = spawnEntry({
    entry: relative(REPO_ROOT, bundle || ORACLE_BUNDLE_FILE),
    env,
    profiler: parameters.profiler ?? false,
    // The V8 flags `npm run oracle` runs the oracle with (its young generation bounded).
    nodeOptions: ORACLE_NODE_FLAGS,
  });
  const history: OracleProcessStats[] = [];
  let twins = 0;
  let counter: Store | undefined;
  let counting: Promise<void> | undefined;
  const countTwins = () =>
    counter === undefined
      ? undefined
      : (counting ??= counter
          .query<{ n: number }>({ name: 'bench.countTwins', text: 'SELECT count(*)::float8 AS n FROM twins' })
          .then(({ rows }) => void (twins = Number(rows[0]!.n)))
          .catch((error: Error) => void process.stderr.write(`twin count failed: ${error.message}\n`))
          .finally(() => (counting = undefined)));
  child.child.on('message', (message: { type?: string }) => {
    if (message.type !== 'stats') return;
    history.push({ ...(message as OracleIpcStats), twins });
    void countTwins();
  });
  try {
    await child.waitFor(
      (message) => ((message as { type?: string }).type === 'ready' ? true : undefined),
      parameters.startTimeoutMs ?? 30 * 60_000,
      'the oracle to start',
    );
    // The oracle has migrated its store by now.
    counter = await openStore({
      databaseUrl: env.DATABASE_URL!,
      poolSize: 1,
      schema: 'check',
      applicationName: 'bench-twins',
    });
    await countTwins();
    await pollUntil(() => history.length > 0, 10_000, 50);
  } catch (error) {
    await child.kill(5_000);
    await counter?.close().catch(() => undefined);
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid,
    process: child,
    latest: () => history[history.length - 1]!,
    history,
    waitForTwins: (count, timeoutMs) => pollUntil(() => (history[history.length - 1]?.twins ?? 0) >= count, timeoutMs),
    stderrTail: child.stderrTail,
    stop: () =>
      (stopped ??= (async () => {
        if (child.child.connected) child.child.send({ type: 'stop' });
        const timer = setTimeout(() => void child.kill(1_000), 120_000);
        await child.exited;
        clearTimeout(timer);
        await counting;
        await counter!.close().catch(() => undefined);
      })()),
  };
}
