/**
 * The oracle alone in a child process (what `npm run oracle` runs: `loadOracleConfig` from the environment, then
 * `runOracle`), reporting over IPC so the benchmark can follow it without sharing its CPU or memory:
 * `{ type: 'ready' }`, then every 500 ms `{ type: 'stats', … }` (the oracle's counters, twins in its store, its own
 * RSS and CPU); on `{ type: 'stop' }` it stops the oracle (closing the open batch) and answers `{ type: 'stopped' }`.
 * Warnings and errors go to stderr as JSON lines. The store is the oracle's own (`runOracle` starts it from the
 * environment): the benchmark passes the run's database as `DATABASE_URL`.
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/oracleProcess.ts', env: { ...process.env, DATABASE_URL: url, ORACLE_ORACLE_KEY: key, … } })
 */
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';

/** What the oracle process reports every 500 ms. */
export type OracleProcessStats = {
  type: 'stats';
  at: number;
  stats: ReturnType<RunningOracle['stats']>;
  /** Twins the chain mirror has put in the store. */
  twins: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** User + system CPU of the process since it started, ms. */
  cpuMs: number;
};

async function main(): Promise<void> {
  // The benchmark went away while the oracle was still starting (its first chain sync can take minutes).
  const orphaned = () => process.exit(0);
  process.once('disconnect', orphaned);
  const config = loadOracleConfig({ file: process.env.ORACLE_CONFIG });
  const oracle = await runOracle(config, (level, message, fields) => {
    if (level !== 'info') process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
  });
  let twins = 0;
  let counting: Promise<void> | undefined;
  // The mirror's twin count, read from the store at most one query at a time (the report itself never waits).
  const countTwins = () =>
    (counting ??= oracle.index
      .query<{ n: number }>({ name: 'bench.countTwins', text: 'SELECT count(*)::float8 AS n FROM twins' })
      .then(({ rows }) => void (twins = Number(rows[0]!.n)))
      .catch((error: Error) => void process.stderr.write(`twin count failed: ${error.message}\n`))
      .finally(() => (counting = undefined)));
  await countTwins();
  const report = () => {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'stats',
      at: Date.now(),
      stats: oracle.stats(),
      twins,
      rssMiB: memory.rss / 2 ** 20,
      heapUsedMiB: memory.heapUsed / 2 ** 20,
      cpuMs: (cpu.user + cpu.system) / 1000,
    } satisfies OracleProcessStats);
  };
  const timer = setInterval(() => {
    report();
    void countTwins();
  }, 500);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await counting;
    report();
    await oracle.stop().catch((error: Error) => process.stderr.write(`oracle stop failed: ${error.message}\n`));
    process.send?.({ type: 'stopped', stats: oracle.stats() });
    // A normal exit, so that --cpu-prof writes its profile.
    setTimeout(() => process.exit(0), 100);
  };
  process.off('disconnect', orphaned);
  if (!process.connected) await stop();
  process.on('message', (message: { type?: string }) => void (message.type === 'stop' && stop()));
  process.on('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.send?.({ type: 'ready' });
  report();
}

main().catch((error: unknown) => {
  process.stderr.write(`oracle process: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
