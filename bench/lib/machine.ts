import { execSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** The machine a benchmark ran on. */
export type MachineInfo = {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started (other jobs on the machine show here). */
  loadAverage: [number, number, number];
  /** The commit the code was at, with `+dirty` when the working tree had changes; undefined outside git. */
  commit: string | undefined;
};

/**
 * Describes this machine and runtime for the results file.
 *
 * @example
 * const machine = describeMachine() // { cpuModel: 'Intel(R) Xeon(R) …', cores: 2, … }
 */
export function describeMachine(): MachineInfo {
  const [one, five, fifteen] = loadavg();
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: [round2(one!), round2(five!), round2(fifteen!)],
    commit: gitCommit(),
  };
}

/**
 * The 1-minute load average now, to two decimals (recorded beside each timed section).
 *
 * @example
 * const load = loadNow() // 1.42
 */
export function loadNow(): number {
  return round2(loadavg()[0]!);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function gitCommit(): string | undefined {
  try {
    const head = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execSync('git status --porcelain', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return dirty === '' ? head : `${head}+dirty`;
  } catch {
    return undefined;
  }
}
