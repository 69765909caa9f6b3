/** The fields of /proc/stat the collector uses. */
export type ProcStatSample = {
  /** Aggregate `cpu` line in clock ticks. `user` and `nice` include guest time, as the kernel counts it. */
  cpu: {
    user: number;
    nice: number;
    system: number;
    idle: number;
    iowait: number;
    irq: number;
    softirq: number;
    steal: number;
  };
  /** Number of `cpuN` lines. */
  cpuCount: number;
  contextSwitches: number;
  /** Total of the `intr` line (its first number). */
  interrupts: number;
  /** Processes and threads created since boot. */
  processesCreated: number;
  running: number;
  blocked: number;
  /** Boot time, seconds since the epoch. */
  bootTime: number | null;
};

/**
 * Parses /proc/stat.
 *
 * @example
 * parseProcStatFile(text).cpu.idle
 */
export function parseProcStatFile(text: string): ProcStatSample {
  const sample: ProcStatSample = {
    cpu: { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 },
    cpuCount: 0,
    contextSwitches: 0,
    interrupts: 0,
    processesCreated: 0,
    running: 0,
    blocked: 0,
    bootTime: null,
  };
  let sawCpu = false;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const key = fields[0];
    const n = (index: number) => Number(fields[index] ?? 0);
    if (key === 'cpu') {
      sawCpu = true;
      sample.cpu = {
        user: n(1),
        nice: n(2),
        system: n(3),
        idle: n(4),
        iowait: n(5),
        irq: n(6),
        softirq: n(7),
        steal: n(8),
      };
    } else if (key !== undefined && /^cpu\d+$/.test(key)) sample.cpuCount += 1;
    else if (key === 'ctxt') sample.contextSwitches = n(1);
    else if (key === 'intr') sample.interrupts = n(1);
    else if (key === 'processes') sample.processesCreated = n(1);
    else if (key === 'procs_running') sample.running = n(1);
    else if (key === 'procs_blocked') sample.blocked = n(1);
    else if (key === 'btime') sample.bootTime = n(1);
  }
  if (!sawCpu) throw new Error('no cpu line in /proc/stat');
  return sample;
}

/** Sum of the ticks of the aggregate cpu line. */
export function totalTicks(cpu: ProcStatSample['cpu']): number {
  return cpu.user + cpu.nice + cpu.system + cpu.idle + cpu.iowait + cpu.irq + cpu.softirq + cpu.steal;
}

/**
 * sar -u: the share of CPU time in each state between two samples, in percent (null without a previous sample
 * or when no tick passed).
 */
export function cpuShares(previous: ProcStatSample['cpu'] | undefined, current: ProcStatSample['cpu']) {
  const keys = ['user', 'nice', 'system', 'iowait', 'irq', 'softirq', 'steal', 'idle'] as const;
  const total = previous === undefined ? 0 : totalTicks(current) - totalTicks(previous);
  const shares = {} as Record<(typeof keys)[number], number | null>;
  for (const key of keys) {
    shares[key] =
      previous === undefined || total <= 0
        ? null
        : Math.round((Math.max(0, current[key] - previous[key]) / total) * 10000) / 100;
  }
  return shares;
}

/** Busy CPU % between two samples (everything but idle and iowait), or null without a previous sample. */
export function busyPercent(
  previous: ProcStatSample['cpu'] | undefined,
  current: ProcStatSample['cpu'],
): number | null {
  const shares = cpuShares(previous, current);
  if (shares.idle === null || shares.iowait === null) return null;
  return Math.min(100, Math.max(0, Math.round((100 - shares.idle - shares.iowait) * 100) / 100));
}
