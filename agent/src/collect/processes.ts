import type { z } from 'zod';
import type { processesSchema, processSchema } from '../../../twin-core/src/messages/snapshot';
import type { CollectOptions } from './context';
import { join, listPids, readHead, readOptional, readText, round } from './read';

/** One row of the process table (top's columns). */
export type ProcessRow = z.output<typeof processSchema>;
/** The process table section: task counts and rows. */
export type ProcessTable = z.output<typeof processesSchema>;

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux architecture agents run on). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat the process table uses. */
export type ProcStat = {
  pid: number;
  /** `comm`: the executable name (at most 15 characters), may contain spaces and parentheses. */
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  /** Kernel priority: 20 + nice for normal tasks, -1 - rt_priority for real-time ones. */
  priority: number;
  nice: number;
  threads: number;
  /** Start time after boot, clock ticks: with the PID, tells a reused PID from the same process. */
  startTicks: number;
  vsizeBytes: number;
};

/**
 * Parses /proc/<pid>/stat. The command name sits in parentheses and may itself contain `) `, so fields are
 * counted from the last `)`.
 *
 * @example
 * parseProcStat('812 (node) S 1 812 812 0 -1 …').comm // 'node'
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('malformed /proc/<pid>/stat');
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (index: number) => Number(rest[index]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(1),
    cpuTicks: field(11) + field(12),
    priority: field(15),
    nice: field(16),
    threads: field(17),
    startTicks: field(19),
    vsizeBytes: field(20),
  };
}

/** The fields of /proc/<pid>/status the process table uses; memory in KiB (0 for kernel threads). */
export type ProcStatus = { uid: number; virtKiB: number; resKiB: number; shrKiB: number };

/**
 * Parses /proc/<pid>/status: effective UID (what top shows), VmSize (VIRT), VmRSS (RES) and RssFile + RssShmem
 * (SHR, as top computes it). Status gives memory in KiB, so no page size is needed (4 KiB on a Pi 4, 16 KiB on a
 * Pi 5 kernel).
 */
export function parseProcStatus(text: string): ProcStatus {
  const get = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
  return {
    uid: uids ? Number(uids[2]) : 0,
    virtKiB: get('VmSize'),
    resKiB: get('VmRSS'),
    shrKiB: get('RssFile') + get('RssShmem'),
  };
}

/** Parses /etc/passwd into UID → user name. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !users.has(Number(uid))) users.set(Number(uid), name);
  }
  return users;
}

/** top's PR column: `rt` for the highest real-time priority, otherwise the kernel priority as is. */
export function topPriority(kernelPriority: number): number | 'rt' {
  return kernelPriority <= -100 ? 'rt' : kernelPriority;
}

/** The command line with NUL separators as spaces; top's `[comm]` for kernel threads (empty cmdline). */
export function formatCommand(cmdline: string | null, comm: string): string {
  const command = (cmdline ?? '').replace(/\0+$/, '').replace(/\0/g, ' ').trim();
  return command === '' ? `[${comm}]` : command;
}

/**
 * %CPU as top computes it: CPU ticks used since the previous sample over the elapsed time, as a share of one CPU
 * (so a busy multithreaded task can exceed 100). Null without a previous sample of the same process.
 */
export function cpuPercent(
  previousTicks: number | undefined,
  ticks: number,
  elapsedSeconds: number | null,
): number | null {
  if (previousTicks === undefined || elapsedSeconds === null || !(elapsedSeconds > 0)) return null;
  return round((Math.max(0, ticks - previousTicks) / CLOCK_TICKS_PER_SECOND / elapsedSeconds) * 100, 2);
}

/** Counts tasks by state letter into the snapshot's task summary. */
export function countTasks(states: string[]): ProcessTable['tasks'] {
  const tasks = { total: states.length, running: 0, sleeping: 0, uninterruptible: 0, idle: 0, stopped: 0, zombie: 0 };
  for (const state of states) {
    if (state === 'R') tasks.running += 1;
    else if (state === 'S') tasks.sleeping += 1;
    else if (state === 'D') tasks.uninterruptible += 1;
    else if (state === 'I') tasks.idle += 1;
    else if (state === 'T' || state === 't') tasks.stopped += 1;
    else if (state === 'Z') tasks.zombie += 1;
  }
  return tasks;
}

type RawProcess = { stat: ProcStat; status: ProcStatus; cmdline: string | null };

/** Reads one process; null when it exited between the directory listing and the read. */
async function readProcess(proc: string, pid: number): Promise<RawProcess | null> {
  const base = join(proc, String(pid));
  const [stat, status, cmdline] = await Promise.all([
    readHead(join(base, 'stat'), 2048),
    readHead(join(base, 'status'), 8192),
    readHead(join(base, 'cmdline'), 4096),
  ]);
  if (stat === null || status === null) return null;
  try {
    return { stat: parseProcStat(stat), status: parseProcStatus(status), cmdline };
  } catch {
    return null;
  }
}

/**
 * The process table probe (seed 001 section IX, top's columns): /proc/<pid>/{stat,status,cmdline} for every
 * process, users from /etc/passwd, %MEM against /proc/meminfo MemTotal. It keeps each process's CPU ticks so the
 * next call reports %CPU over the interval between the two (null on the first call).
 *
 * @example
 * const processes = createProcessProbe(options)
 * await processes() // first call: cpuPercent null
 * await processes() // cpuPercent since the first
 */
export function createProcessProbe(options: CollectOptions): () => Promise<ProcessTable> {
  let previous: { at: number; ticks: Map<string, number> } | null = null;
  return async () => {
    const { proc, etc } = options.paths;
    // Settled together, then the listing's failure first: which read fails first must not decide the reason.
    const [listed, memory, accounts] = await Promise.allSettled([
      listPids(proc),
      readText(join(proc, 'meminfo')),
      readOptional(join(etc, 'passwd')),
    ]);
    for (const result of [listed, memory, accounts]) if (result.status === 'rejected') throw result.reason;
    const pids = (listed as PromiseFulfilledResult<Awaited<ReturnType<typeof listPids>>>).value;
    const meminfo = (memory as PromiseFulfilledResult<string>).value;
    const passwd = (accounts as PromiseFulfilledResult<Awaited<ReturnType<typeof readOptional>>>).value;
    const at = options.now();
    const raw = (await Promise.all(pids.map((pid) => readProcess(proc, pid)))).filter(
      (row): row is RawProcess => row !== null,
    );
    const memTotalKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
    const users = passwd === null ? new Map<number, string>() : parsePasswd(passwd);
    const elapsed = previous === null ? null : (at - previous.at) / 1000;
    const ticks = new Map<string, number>();
    const rows: ProcessRow[] = raw.map(({ stat, status, cmdline }) => {
      const key = `${stat.pid}:${stat.startTicks}`;
      ticks.set(key, stat.cpuTicks);
      return {
        pid: stat.pid,
        ppid: stat.ppid,
        user: (users.get(status.uid) ?? String(status.uid)).slice(0, 64),
        priority: topPriority(stat.priority),
        nice: stat.nice,
        virtKiB: status.virtKiB,
        resKiB: status.resKiB,
        shrKiB: status.shrKiB,
        state: stat.state.slice(0, 1),
        cpuPercent: cpuPercent(previous?.ticks.get(key), stat.cpuTicks, elapsed),
        memPercent: memTotalKiB > 0 ? Math.min(100, round((status.resKiB / memTotalKiB) * 100, 2)) : 0,
        cpuTimeSeconds: round(stat.cpuTicks / CLOCK_TICKS_PER_SECOND, 2),
        threads: stat.threads,
        name: stat.comm.slice(0, 64),
        command: formatCommand(cmdline, stat.comm).slice(0, 512),
      };
    });
    previous = { at, ticks };
    rows.sort((a, b) => (b.cpuPercent ?? 0) - (a.cpuPercent ?? 0) || b.resKiB - a.resKiB || a.pid - b.pid);
    return {
      tasks: countTasks(rows.map((row) => row.state)),
      threads: rows.reduce((sum, row) => sum + row.threads, 0),
      list: rows.slice(0, options.processLimit),
      truncated: rows.length > options.processLimit,
    };
  };
}
