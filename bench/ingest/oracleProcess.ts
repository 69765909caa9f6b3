/**
 * The oracle alone in a child process (what `npm run oracle` runs: `loadOracleConfig` from the environment, then
 * `runOracle`), reporting over IPC so the benchmark can follow it without sharing its CPU or memory:
 * `{ type: 'ready' }`, then every 500 ms `{ type: 'stats', … }` (the oracle's counters, twins in its index, its own
 * RSS and CPU); on `{ type: 'stop' }` it stops the oracle (closing the open batch) and answers `{ type: 'stopped' }`.
 * Warnings and errors go to stderr as JSON lines.
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/oracleProcess.ts', env: { ...process.env, ORACLE_ORACLE_KEY: key, … } })
 */
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';

/** What the oracle process reports every 500 ms. */
export type OracleProcessStats = {
  type: 'stats';
  at: number;
  stats: ReturnType<RunningOracle['stats']>;
  /** Twins the chain mirror has put in the index. */
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
  const twins = oracle.index.statement('SELECT count(*) AS n FROM twins');
  const report = () => {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'stats',
      at: Date.now(),
      stats: oracle.stats(),
      twins: Number((twins.get() as { n: number }).n),
      rssMiB: memory.rss / 2 ** 20,
      heapUsedMiB: memory.heapUsed / 2 ** 20,
      cpuMs: (cpu.user + cpu.system) / 1000,
    } satisfies OracleProcessStats);
  };
  const timer = setInterval(report, 500);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
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
