import * as os from 'node:os';
import type { CollectOptions } from './context';
import { join, readAttribute, readOptional, readText } from './read';

/** /proc/loadavg: the three load averages, runnable and total scheduling entities, last PID. */
export type LoadAverage = {
  load: [number, number, number];
  /** Tasks (threads) runnable now, this reader included. */
  running: number;
  /** Tasks (threads) that exist: sar's plist-sz. */
  total: number;
  lastPid: number;
};

/**
 * Parses /proc/loadavg (`0.23 0.91 0.81 1/90 14577`).
 *
 * @example
 * parseLoadavg('0.23 0.91 0.81 1/90 14577\n').load // [0.23, 0.91, 0.81]
 */
export function parseLoadavg(text: string): LoadAverage {
  const match = /^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\/(\d+)\s+(\d+)/.exec(text);
  if (!match) throw new Error('malformed /proc/loadavg');
  return {
    load: [Number(match[1]), Number(match[2]), Number(match[3])],
    running: Number(match[4]),
    total: Number(match[5]),
    lastPid: Number(match[6]),
  };
}

/** Parses /proc/uptime: seconds since boot (the first number). */
export function parseUptime(text: string): number {
  const value = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(value) || value < 0) throw new Error('malformed /proc/uptime');
  return value;
}

/** The `btime` line of /proc/stat: boot time in seconds since the epoch, or null. */
export function parseBootTime(statText: string): number | null {
  const match = /^btime\s+(\d+)/m.exec(statText);
  return match ? Number(match[1]) : null;
}

/** The snapshot's system section. */
export type SystemInfo = {
  hostname: string;
  uptimeSeconds: number;
  bootTime: string;
  loadAverage: [number, number, number];
};

/**
 * System probe: hostname (/proc/sys/kernel/hostname, else os.hostname()), uptime (/proc/uptime), last restart
 * (/proc/stat `btime`, else now − uptime) and load averages (/proc/loadavg).
 */
export async function readSystem(options: CollectOptions): Promise<SystemInfo> {
  const { proc } = options.paths;
  const [uptimeText, loadText, statText, hostname] = await Promise.all([
    readText(join(proc, 'uptime')),
    readText(join(proc, 'loadavg')),
    readOptional(join(proc, 'stat')),
    readAttribute(join(proc, 'sys', 'kernel', 'hostname')),
  ]);
  const uptimeSeconds = parseUptime(uptimeText);
  const btime = statText === null ? null : parseBootTime(statText);
  const bootMs = btime !== null ? btime * 1000 : Math.round(options.now() - uptimeSeconds * 1000);
  return {
    hostname: (hostname ?? (options.host?.hostname ?? os.hostname)()).slice(0, 253),
    uptimeSeconds,
    bootTime: new Date(bootMs).toISOString(),
    loadAverage: parseLoadavg(loadText).load,
  };
}
