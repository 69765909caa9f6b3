import type { PlugAndPlay, ProcessorPerformance } from '../../../twin-core/src/messages/deviceActivity';
import type { CollectOptions } from './context';
import { join, listDirectory, readAttribute, readText, round } from './read';

/**
 * Plug-and-play probe (seed 001 IV.9 "plug and play devices"): the devices on the hot-pluggable buses, USB
 * (`/sys/bus/usb/devices`, interfaces left out) and PCI (`/sys/bus/pci/devices`), and which appeared or went since the
 * previous snapshot (null on the first). Unavailable where sysfs shows neither bus.
 *
 * @example
 * const probe = createPlugAndPlayProbe(options); (await probe()).added // ['1-1.3'] after a USB stick is plugged in
 */
export function createPlugAndPlayProbe(options: CollectOptions): () => Promise<PlugAndPlay> {
  let previous: Set<string> | null = null;
  return async () => {
    const [usb, pci] = await Promise.all([
      listDirectory(join(options.paths.sys, 'bus', 'usb', 'devices')).catch(() => null),
      listDirectory(join(options.paths.sys, 'bus', 'pci', 'devices')).catch(() => null),
    ]);
    if (usb === null && pci === null) throw new Error('no /sys/bus/usb or /sys/bus/pci on this system (no hot-pluggable bus exposed)');
    const usbDevices = (usb ?? []).filter((name) => !name.includes(':')).sort();
    const pciDevices = (pci ?? []).sort();
    const now = new Set([...usbDevices.map((name) => `usb:${name}`), ...pciDevices.map((name) => `pci:${name}`)]);
    const report: PlugAndPlay = {
      usbDevices: usbDevices.length,
      pciDevices: pciDevices.length,
      added: previous === null ? null : [...now].filter((name) => !previous!.has(name)).slice(0, 64),
      removed: previous === null ? null : [...previous].filter((name) => !now.has(name)).slice(0, 64),
    };
    previous = now;
    return report;
  };
}

/** Per-CPU busy and total ticks from /proc/stat's `cpuN` lines. */
export function parsePerCpuTicks(text: string): Map<number, { busy: number; total: number }> {
  const cpus = new Map<number, { busy: number; total: number }>();
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = match[2]!
      .trim()
      .split(/\s+/)
      .map(Number);
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    cpus.set(Number(match[1]), { busy: total - idle - iowait, total });
  }
  return cpus;
}

const mhz = (khz: string | null) => (khz === null || !/^\d+$/.test(khz) ? null : round(Number(khz) / 1000, 1));

/**
 * Processor performance probe (seed 001 IV.9 j; sar -P ALL and sar -m CPU): per CPU its busy share since the
 * previous snapshot (/proc/stat, null on the first) and, where the kernel exposes frequency scaling
 * (`/sys/devices/system/cpu/cpuN/cpufreq`), its current, minimum and maximum frequency (MHz) and governor; null
 * with `frequencyUnavailable` saying why where it does not (virtual machines and containers usually).
 */
export function createProcessorProbe(options: CollectOptions): () => Promise<ProcessorPerformance> {
  let previous: Map<number, { busy: number; total: number }> | null = null;
  return async () => {
    const ticks = parsePerCpuTicks(await readText(join(options.paths.proc, 'stat')));
    if (ticks.size === 0) throw new Error('no cpuN lines in /proc/stat');
    const root = join(options.paths.sys, 'devices', 'system', 'cpu');
    const cpus = await Promise.all(
      [...ticks].sort(([a], [b]) => a - b).slice(0, 256).map(async ([cpu, now]) => {
        const freq = join(root, `cpu${cpu}`, 'cpufreq');
        const [current, min, max, governor] = await Promise.all([
          readAttribute(join(freq, 'scaling_cur_freq')),
          readAttribute(join(freq, 'cpuinfo_min_freq')),
          readAttribute(join(freq, 'cpuinfo_max_freq')),
          readAttribute(join(freq, 'scaling_governor')),
        ]);
        const before = previous?.get(cpu);
        const total = before ? now.total - before.total : 0;
        return {
          cpu,
          busyPercent: before && total > 0 ? round(Math.min(100, Math.max(0, ((now.busy - before.busy) / total) * 100)), 2) : null,
          currentMHz: mhz(current),
          minMHz: mhz(min),
          maxMHz: mhz(max),
          governor: governor?.slice(0, 32) ?? null,
        };
      }),
    );
    previous = ticks;
    const exposed = cpus.some((cpu) => cpu.currentMHz !== null);
    return {
      cpus,
      frequencyUnavailable: exposed ? null : `no ${join(root, 'cpu0', 'cpufreq')}: this kernel exposes no frequency scaling (usual in VMs and containers)`,
    };
  };
}
