import { spawnSync } from 'node:child_process';
import { loadNow } from '../lib/machine';
import { REPO_ROOT } from '../lib/spawnEntry';
import { BUILT_AGENT, ensureAgentBuilt } from './ensureAgentBuilt';

/**
 * The V8 flag the agent runs with: young-generation semi-spaces of 1 MiB instead of V8's default (up to 16 MiB each),
 * 16 MiB less peak RSS for a snapshot at the same CPU (measured: 106 → 90 MiB, 44 → 42 ms on Node 24).
 */
export const AGENT_NODE_FLAGS = '--max-semi-space-size=1';

/** The agent's footprint, as `agent/bench/snapshot.ts` prints it. */
export type AgentBenchResult = {
  snapshots: number;
  /** CPU ms of one full snapshot of the real collector on this machine (median and maximum). */
  snapshotCpuMsMedian: number;
  snapshotCpuMsMax: number;
  snapshotWallMsMedian: number;
  telemetryCpuMsMean: number;
  /** Peak RSS of the whole agent process over the run (Node.js runtime included). */
  peakRssMiB: number;
  processesOnMachine: number;
  /** Whether the agent was built first (its compiled code was missing or stale). */
  built: boolean;
  loadAverage: number;
};

/**
 * Parses the figures `agent/bench/snapshot.js` prints (`  label   value` lines).
 *
 * @example
 * parseAgentBenchOutput('  full snapshot, CPU ms (median)       42.8\n…')['full snapshot, CPU ms (median)'] // 42.8
 */
export function parseAgentBenchOutput(text: string): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^\s+(.+?)\s{2,}(-?[\d.]+)\s*$/.exec(line);
    if (match) figures[match[1]!] = Number(match[2]);
  }
  return figures;
}

/**
 * Builds the agent when its compiled code is missing or stale (`npm run build:agent`), then runs
 * the agent's own footprint benchmark (`node agent/dist/agent/bench/snapshot.js`: the real collector on this
 * machine) in a process of its own and reads its figures.
 *
 * @example
 * const agent = runAgentBench({ snapshots: 20 }) // { snapshotCpuMsMedian: 42.8, peakRssMiB: 100.1, … }
 */
export function runAgentBench(options: { snapshots: number; telemetry: number }): AgentBenchResult {
  const built = ensureAgentBuilt();
  const run = spawnSync(
    process.execPath,
    [
      // As the agent runs (`npm run agent`, the systemd unit in agent/README.md): a 1 MiB young generation.
      AGENT_NODE_FLAGS,
      BUILT_AGENT.snapshotBench,
      '--snapshots',
      String(options.snapshots),
      '--telemetry',
      String(options.telemetry),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 10 * 60_000 },
  );
  if (run.status !== 0) throw new Error(`the agent benchmark failed:\n${(run.stdout + run.stderr).slice(-2_000)}`);
  const figures = parseAgentBenchOutput(run.stdout);
  const figure = (label: string) => {
    const value = figures[label];
    if (value === undefined) throw new Error(`the agent benchmark printed no "${label}":\n${run.stdout}`);
    return value;
  };
  return {
    snapshots: options.snapshots,
    snapshotCpuMsMedian: figure('full snapshot, CPU ms (median)'),
    snapshotCpuMsMax: figure('full snapshot, CPU ms (max)'),
    snapshotWallMsMedian: figure('full snapshot, wall ms (median)'),
    telemetryCpuMsMean: figure('telemetry reading, CPU ms (mean)'),
    peakRssMiB: figure('peak RSS of the process, MiB'),
    processesOnMachine: figure('processes on this machine'),
    built,
    loadAverage: loadNow(),
  };
}
