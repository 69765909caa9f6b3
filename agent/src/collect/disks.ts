import type { z } from 'zod';
import type { diskSchema } from '../../../twin-core/src/messages/snapshot';
import type { CollectOptions } from './context';
import { counterDelta, join, perSecond, readText, roundOrNull } from './read';

/** One block device of the snapshot: counters and iostat rates. */
export type Disk = z.output<typeof diskSchema>;

/** One line of /proc/diskstats (the counters the snapshot keeps). */
export type DiskCounters = {
  name: string;
  readsCompleted: number;
  sectorsRead: number;
  readMs: number;
  writesCompleted: number;
  sectorsWritten: number;
  writeMs: number;
  inFlight: number;
  ioMs: number;
  weightedIoMs: number;
};

/**
 * Parses /proc/diskstats (major minor name then at least 11 counters; kernels ≥ 4.18 add discard and flush
 * fields, which are ignored).
 */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 14) continue;
    const n = (index: number) => Number(fields[index]);
    disks.push({
      name: fields[2]!,
      readsCompleted: n(3),
      sectorsRead: n(5),
      readMs: n(6),
      writesCompleted: n(7),
      sectorsWritten: n(9),
      writeMs: n(10),
      inFlight: n(11),
      ioMs: n(12),
      weightedIoMs: n(13),
    });
  }
  return disks;
}

/** A partition (sda1, mmcblk0p2, nvme0n1p1) rather than a whole disk, from its kernel name. */
export function isPartition(name: string): boolean {
  return /^((s|v|xv|h)d[a-z]+)\d+$/.test(name) || /^(mmcblk\d+|nvme\d+n\d+|loop\d+|md\d+)p\d+$/.test(name);
}

/** A device worth reporting: it has done at least one I/O (skips idle loop, ram and zram devices, as iostat -z). */
export function isActive(disk: DiskCounters): boolean {
  return disk.readsCompleted + disk.writesCompleted > 0;
}

/**
 * iostat -x figures between two samples of one device over `seconds`: transfers per second, KB/s (512-byte
 * sectors), await (ms per completed I/O, queue plus service: the I/O latency), average queue length and %util.
 * All null without a previous sample.
 */
export function diskRates(previous: DiskCounters | undefined, current: DiskCounters, seconds: number | null) {
  const none = {
    tps: null,
    readKBps: null,
    writeKBps: null,
    awaitMs: null,
    averageQueueLength: null,
    utilPercent: null,
  };
  if (previous === undefined || seconds === null || !(seconds > 0)) return none;
  const reads = counterDelta(previous.readsCompleted, current.readsCompleted);
  const writes = counterDelta(previous.writesCompleted, current.writesCompleted);
  const ios = reads === null || writes === null ? null : reads + writes;
  const readMs = counterDelta(previous.readMs, current.readMs);
  const writeMs = counterDelta(previous.writeMs, current.writeMs);
  const ioMs = counterDelta(previous.ioMs, current.ioMs);
  const sectorsRead = counterDelta(previous.sectorsRead, current.sectorsRead);
  const sectorsWritten = counterDelta(previous.sectorsWritten, current.sectorsWritten);
  const weighted = counterDelta(previous.weightedIoMs, current.weightedIoMs);
  return {
    tps: roundOrNull(perSecond(ios, seconds)),
    readKBps: roundOrNull(perSecond(sectorsRead === null ? null : sectorsRead / 2, seconds)),
    writeKBps: roundOrNull(perSecond(sectorsWritten === null ? null : sectorsWritten / 2, seconds)),
    awaitMs:
      ios === null || readMs === null || writeMs === null
        ? null
        : roundOrNull(ios === 0 ? 0 : (readMs + writeMs) / ios),
    averageQueueLength: roundOrNull(perSecond(weighted === null ? null : weighted / 1000, seconds)),
    utilPercent: ioMs === null ? null : roundOrNull(Math.min(100, (ioMs / (seconds * 1000)) * 100)),
  };
}

/**
 * Disk statistics probe: /proc/diskstats for every device that has done I/O, with iostat rates (incl. await, the
 * I/O latency) from the second call on; the previous sample lives in the returned closure.
 */
export function createDiskProbe(options: CollectOptions): () => Promise<Disk[]> {
  let previous: { at: number; disks: Map<string, DiskCounters> } | null = null;
  return async () => {
    const text = await readText(join(options.paths.proc, 'diskstats'));
    const at = options.now();
    const disks = parseDiskstats(text);
    const seconds = previous === null ? null : (at - previous.at) / 1000;
    const result = disks
      .filter(isActive)
      .map((disk) => ({ ...disk, ...diskRates(previous?.disks.get(disk.name), disk, seconds) }));
    previous = { at, disks: new Map(disks.map((disk) => [disk.name, disk])) };
    return result;
  };
}
