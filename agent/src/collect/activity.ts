import type { z } from 'zod';
import type { activitySchema } from '../../../twin-core/src/messages/snapshot';
import type { CollectOptions, SystemPaths } from './context';
import { isPartition, parseDiskstats, type DiskCounters } from './disks';
import { parseNetDev, type NetDevCounters } from './netdev';
import { cpuShares, parseProcStatFile, type ProcStatSample } from './procStat';
import {
  counterDelta,
  counterRate,
  join,
  listDirectory,
  perSecond,
  readAttribute,
  readOptional,
  readText,
  roundOrNull,
} from './read';
import { parseLoadavg } from './system';

/** The snapshot's sar-style activity section. */
export type Activity = z.output<typeof activitySchema>;

/** Parses /proc/vmstat (`name value` lines). */
export function parseVmstat(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** Everything one activity sample holds. */
export type ActivitySample = {
  at: number;
  stat: ProcStatSample;
  vmstat: Map<string, number>;
  load: ReturnType<typeof parseLoadavg>;
  net: NetDevCounters[];
  disks: DiskCounters[];
  power: Activity['power'];
};

/**
 * sar's report between two samples (rates per second over the interval; all null without a previous sample):
 * -u CPU shares, -w context switches and process creation, -I interrupts, -q run queue and load, -B paging, -W
 * swapping, -b I/O on whole disks (512-byte blocks), -n DEV per interface, and power supplies.
 */
export function activityReport(previous: ActivitySample | null, current: ActivitySample): Activity {
  const seconds = previous === null ? null : (current.at - previous.at) / 1000;
  const interval = seconds !== null && seconds > 0 ? seconds : null;
  const rate = (before: number | undefined, after: number) => roundOrNull(counterRate(before, after, interval));
  const vm = (key: string) => rate(previous?.vmstat.get(key), current.vmstat.get(key) ?? 0);
  const wholeDisks = (disks: DiskCounters[]) => disks.filter((disk) => !isPartition(disk.name));
  const sumOver = (disks: DiskCounters[] | undefined, pick: (disk: DiskCounters) => number) =>
    disks === undefined ? undefined : wholeDisks(disks).reduce((sum, disk) => sum + pick(disk), 0);
  const io = (pick: (disk: DiskCounters) => number) =>
    previous === null ? null : rate(sumOver(previous.disks, pick), sumOver(current.disks, pick)!);
  const previousNet = new Map(previous?.net.map((row) => [row.name, row]));
  const shares = cpuShares(previous?.stat.cpu, current.stat.cpu);
  return {
    intervalSeconds: interval,
    cpu: shares,
    contextSwitchesPerSec: rate(previous?.stat.contextSwitches, current.stat.contextSwitches),
    interruptsPerSec: rate(previous?.stat.interrupts, current.stat.interrupts),
    processesCreatedPerSec: rate(previous?.stat.processesCreated, current.stat.processesCreated),
    runQueue: current.load.running,
    processListSize: current.load.total,
    blocked: current.stat.blocked,
    loadAverage: current.load.load,
    paging: {
      pageInKBPerSec: vm('pgpgin'),
      pageOutKBPerSec: vm('pgpgout'),
      faultsPerSec: vm('pgfault'),
      majorFaultsPerSec: vm('pgmajfault'),
    },
    swapping: { swapInPagesPerSec: vm('pswpin'), swapOutPagesPerSec: vm('pswpout') },
    io: {
      tps: io((disk) => disk.readsCompleted + disk.writesCompleted),
      readTps: io((disk) => disk.readsCompleted),
      writeTps: io((disk) => disk.writesCompleted),
      blocksReadPerSec: io((disk) => disk.sectorsRead),
      blocksWrittenPerSec: io((disk) => disk.sectorsWritten),
    },
    network: current.net.map((row) => {
      const before = previousNet.get(row.name);
      const kb = (a: number | undefined, b: number) =>
        a === undefined ? null : roundOrNull(perSecond(counterDelta(a, b), interval === null ? null : interval * 1024));
      return {
        interface: row.name.slice(0, 32),
        rxPacketsPerSec: rate(before?.rxPackets, row.rxPackets),
        txPacketsPerSec: rate(before?.txPackets, row.txPackets),
        rxKBPerSec: kb(before?.rxBytes, row.rxBytes),
        txKBPerSec: kb(before?.txBytes, row.txBytes),
      };
    }),
    power: current.power,
  };
}

/** Batteries and supplies under /sys/class/power_supply (empty when there are none). */
export async function readPowerSupplies(paths: SystemPaths): Promise<Activity['power']> {
  const root = join(paths.sys, 'class', 'power_supply');
  const names = await listDirectory(root).catch(() => []);
  return Promise.all(
    names.map(async (name) => {
      const [type, status, capacity] = await Promise.all([
        readAttribute(join(root, name, 'type')),
        readAttribute(join(root, name, 'status')),
        readAttribute(join(root, name, 'capacity')),
      ]);
      const percent = capacity === null ? NaN : Number(capacity);
      return {
        name: name.slice(0, 64),
        type: (type ?? 'Unknown').slice(0, 32),
        status: status?.slice(0, 32) ?? null,
        capacityPercent: Number.isFinite(percent) && percent >= 0 && percent <= 100 ? percent : null,
      };
    }),
  );
}

/** Reads one activity sample: /proc/{stat,vmstat,loadavg,diskstats}, /proc/net/dev, /sys/class/power_supply. */
export async function readActivitySample(options: CollectOptions): Promise<ActivitySample> {
  const { proc } = options.paths;
  const [stat, vmstat, loadavg, netdev, diskstats, power] = await Promise.all([
    readText(join(proc, 'stat')),
    readText(join(proc, 'vmstat')),
    readText(join(proc, 'loadavg')),
    readOptional(join(proc, 'net', 'dev')),
    readOptional(join(proc, 'diskstats')),
    readPowerSupplies(options.paths),
  ]);
  return {
    at: options.now(),
    stat: parseProcStatFile(stat),
    vmstat: parseVmstat(vmstat),
    load: parseLoadavg(loadavg),
    net: netdev === null ? [] : parseNetDev(netdev),
    disks: diskstats === null ? [] : parseDiskstats(diskstats),
    power,
  };
}

/** System activity probe (sar): keeps the previous sample in its closure; rates are null on the first call. */
export function createActivityProbe(options: CollectOptions): () => Promise<Activity> {
  let previous: ActivitySample | null = null;
  return async () => {
    const sample = await readActivitySample(options);
    const report = activityReport(previous, sample);
    previous = sample;
    return report;
  };
}
