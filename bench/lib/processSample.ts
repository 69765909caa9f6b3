import { readFileSync } from 'node:fs';

/** CPU time and resident memory of one process, read from /proc. */
export type ProcessSample = {
  /** When the sample was taken, ms since the epoch. */
  at: number;
  /** User + system CPU time since the process started, ms. */
  cpuMs: number;
  /** Resident set size, MiB. */
  rssMiB: number;
};

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * Samples CPU time and RSS of any process on this machine (Linux /proc); undefined when it is gone or /proc is
 * unavailable.
 *
 * @example
 * const before = sampleProcess(oracle.pid); … const after = sampleProcess(oracle.pid)
 * const cpuSeconds = (after!.cpuMs - before!.cpuMs) / 1000
 */
export function sampleProcess(pid: number | undefined): ProcessSample | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { at: Date.now(), cpuMs: (ticks * 1000) / USER_HZ, rssMiB: rssKiB / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * CPU used between two samples as a share of one core (1 = one core busy the whole time).
 *
 * @example
 * cpuShare(before, after) // 0.93
 */
export function cpuShare(before: ProcessSample | undefined, after: ProcessSample | undefined): number {
  if (before === undefined || after === undefined || after.at <= before.at) return Number.NaN;
  return (after.cpuMs - before.cpuMs) / (after.at - before.at);
}
