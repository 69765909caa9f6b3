import type { OracleStats } from './types';

/** What the CLI sends its parent every {@link REPORT_EVERY_MS} when it was started with an IPC channel. */
export type OracleIpcStats = {
  type: 'stats';
  at: number;
  stats: OracleStats;
  rssMiB: number;
  heapUsedMiB: number;
  /** User + system CPU of the process since it started, ms. */
  cpuMs: number;
};

/** How often the CLI reports to its parent. */
export const REPORT_EVERY_MS = 500;

/** Parameters of {@link reportOverIpc}. */
export type ReportOverIpcParameters = {
  /** The running oracle's counters. */
  stats: () => OracleStats;
  /** Stops the oracle (the CLI's SIGTERM path); called once, on `{ type: 'stop' }` or when the parent goes away. */
  stop: () => void;
};

/** What {@link reportOverIpc} returns: the final report, sent once the oracle has stopped. */
export type IpcReporter = { stopped(stats: OracleStats): Promise<void> };

/**
 * For a supervisor that starts `oracle/dist/cli.js` with an IPC channel (Node's `stdio: [..., 'ipc']`, e.g. the
 * benchmarks, which measure the oracle exactly as `npm run oracle` runs it): sends `{ type: 'ready' }`, then every
 * 500 ms `{ type: 'stats', … }` ({@link OracleIpcStats}); on `{ type: 'stop' }` or a closed channel it stops the
 * oracle, and once stopped sends `{ type: 'stopped', stats }`. Without an IPC channel it does nothing.
 *
 * @example
 * const reporter = reportOverIpc({ stats: () => oracle.stats(), stop: resolve })
 * … await oracle.stop(); await reporter?.stopped(oracle.stats())
 */
export function reportOverIpc(parameters: ReportOverIpcParameters): IpcReporter | undefined {
  if (process.send === undefined || !process.connected) return undefined;
  const report = () => {
    if (!process.connected) return;
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send!({
      type: 'stats',
      at: Date.now(),
      stats: parameters.stats(),
      rssMiB: memory.rss / 2 ** 20,
      heapUsedMiB: memory.heapUsed / 2 ** 20,
      cpuMs: (cpu.user + cpu.system) / 1000,
    } satisfies OracleIpcStats);
  };
  const timer = setInterval(report, REPORT_EVERY_MS);
  timer.unref();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    report();
    parameters.stop();
  };
  process.on('message', (message: { type?: string }) => void (message?.type === 'stop' && stop()));
  process.once('disconnect', stop);
  process.send({ type: 'ready' });
  report();
  return {
    stopped: (stats) =>
      new Promise<void>((resolve) => {
        if (!process.connected) return resolve();
        process.send!({ type: 'stopped', stats }, undefined, {}, () => resolve());
      }),
  };
}
