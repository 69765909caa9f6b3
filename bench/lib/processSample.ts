import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * Samples a process with its children (Linux /proc): its own CPU time, that of its children already ended and
 * reaped (`cutime`, `cstime`) and that of its live children; RSS is the sum over the live ones (shared pages counted
 * in each). What a PostgreSQL server costs: the postmaster with a backend per connection. Undefined when it is gone.
 *
 * @example
 * const before = sampleProcessTree(postmasterPid); … cpuShare(before, sampleProcessTree(postmasterPid))
 */
export function sampleProcessTree(pid: number | undefined): ProcessSample | undefined {
  if (pid === undefined) return undefined;
  const root = readStat(pid);
  if (root === undefined) return undefined;
  let ticks = root.ticks + root.childTicks;
  let rssKiB = root.rssKiB;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    const child = readStat(Number(entry));
    if (child === undefined || child.ppid !== pid) continue;
    ticks += child.ticks;
    rssKiB += child.rssKiB;
  }
  return { at: Date.now(), cpuMs: (ticks * 1000) / USER_HZ, rssMiB: rssKiB / 1024 };
}

function readStat(pid: number): { ppid: number; ticks: number; childTicks: number; rssKiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state (0), ppid (1) … utime (11), stime (12), cutime (13), cstime (14) … rss pages (21).
    return {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      childTicks: Number(fields[13]) + Number(fields[14]),
      rssKiB: Number(fields[21]) * 4,
    };
  } catch {
    return undefined;
  }
}
