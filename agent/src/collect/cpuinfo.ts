import { decodePiRevision, type PiRevision } from './raspberryPi';
import { join, readAttribute, readText } from './read';
import type { SystemPaths } from './context';

/** Manufacturer of every Raspberry Pi board, as the device identity records it. */
export const RASPBERRY_PI_MANUFACTURER = 'Raspberry Pi Ltd';

/** What /proc/cpuinfo says about the board and its processors. */
export type CpuInfo = {
  /** Number of `processor` entries (online CPUs). */
  cores: number;
  /** `model name` of the first processor (e.g. `ARMv7 Processor rev 3 (v7l)`), or null. */
  cpuModel: string | null;
  /** `Hardware` (ARM boards, e.g. `BCM2835`), or null. */
  hardware: string | null;
  /** `Revision` (e.g. `c03114`), or null. */
  revision: string | null;
  /** `Serial` (e.g. `10000000a1b2c3d4`), or null; an all-zero serial counts as none. */
  serial: string | null;
  /** `Model` (Raspberry Pi kernels, e.g. `Raspberry Pi 4 Model B Rev 1.4`), or null. */
  model: string | null;
};

/**
 * Parses /proc/cpuinfo. Board lines (`Hardware`, `Revision`, `Serial`, `Model`) come after the processor blocks
 * on ARM; x86 has none of them.
 *
 * @example
 * parseCpuInfo(text).revision // 'c03114'
 */
export function parseCpuInfo(text: string): CpuInfo {
  let cores = 0;
  const first = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') cores += 1;
    if (!first.has(key) && value !== '') first.set(key, value);
  }
  const serial = first.get('Serial') ?? null;
  return {
    cores,
    cpuModel: first.get('model name') ?? first.get('Processor') ?? null,
    hardware: first.get('Hardware') ?? null,
    revision: first.get('Revision') ?? null,
    serial: serial !== null && /^0+$/.test(serial) ? null : serial,
    model: first.get('Model') ?? null,
  };
}

/**
 * Splits a board model string into model and revision: `Raspberry Pi 4 Model B Rev 1.4` → model
 * `Raspberry Pi 4 Model B`, revision `1.4`. Without a `Rev` suffix the revision is null.
 */
export function splitModelRevision(text: string): { model: string; revision: string | null } {
  const match = /^(.*\S)\s+Rev\s+(\S+)$/i.exec(text.trim());
  return match ? { model: match[1]!, revision: match[2]! } : { model: text.trim(), revision: null };
}

/**
 * The nominal memory size (what the box says) from the kernel's MemTotal, which is smaller than the installed
 * memory by what firmware and kernel reserve: rounded up to a power of two below 1 GiB and to whole GiB above.
 * A Raspberry Pi's revision code gives the exact size and takes precedence.
 *
 * @example
 * nominalMemoryBytes(3_884_564 * 1024) // 4294967296
 */
export function nominalMemoryBytes(memTotalBytes: number): number {
  const gib = 1024 ** 3;
  if (memTotalBytes <= 0) return 0;
  if (memTotalBytes < gib) return 2 ** Math.ceil(Math.log2(memTotalBytes));
  return Math.ceil(memTotalBytes / gib) * gib;
}

/** Board identity found on the device, each field with where it came from (null when nothing says). */
export type BoardInfo = {
  cpu: CpuInfo;
  pi: PiRevision | null;
  serialNumber: string | null;
  manufacturer: string | null;
  hardwareModel: string | null;
  hardwareRevision: string | null;
  memoryBytes: number | null;
};

/**
 * Reads the board identity: /proc/cpuinfo, /proc/device-tree/{model,serial-number}, a Raspberry Pi revision code,
 * /sys/class/dmi/id (x86 and other DMI systems) and /proc/meminfo for the memory size.
 */
export async function readBoardInfo(paths: SystemPaths): Promise<BoardInfo> {
  const [cpuinfoText, dtModel, dtSerial, dmiVendor, dmiProduct, dmiVersion, dmiSerial, meminfo] = await Promise.all([
    // A system without /proc/cpuinfo has simply told us nothing: every field falls back or is reported missing.
    readText(join(paths.proc, 'cpuinfo')).catch(() => ''),
    readAttribute(join(paths.proc, 'device-tree', 'model')),
    readAttribute(join(paths.proc, 'device-tree', 'serial-number')),
    readAttribute(join(paths.sys, 'class', 'dmi', 'id', 'sys_vendor')),
    readAttribute(join(paths.sys, 'class', 'dmi', 'id', 'product_name')),
    readAttribute(join(paths.sys, 'class', 'dmi', 'id', 'product_version')),
    readAttribute(join(paths.sys, 'class', 'dmi', 'id', 'product_serial')),
    readAttribute(join(paths.proc, 'meminfo')),
  ]);
  const cpu = parseCpuInfo(cpuinfoText);
  const pi = cpu.revision === null ? null : decodePiRevision(cpu.revision);
  const boardModel = dtModel ?? cpu.model;
  const split = boardModel === null ? null : splitModelRevision(boardModel);
  const memTotalKiB = meminfo === null ? null : Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  const placeholder = (value: string | null) =>
    value !== null && !/^(to be filled by o\.e\.m\.|default string|not specified|none|0+)$/i.test(value) ? value : null;
  return {
    cpu,
    pi,
    serialNumber:
      cpu.serial ?? (dtSerial !== null && !/^0+$/.test(dtSerial) ? dtSerial : null) ?? placeholder(dmiSerial),
    // The brand is the identity's manufacturer; the factory in the revision code (Sony UK…) is a build detail.
    manufacturer: pi ? RASPBERRY_PI_MANUFACTURER : placeholder(dmiVendor),
    hardwareModel: split?.model ?? pi?.model ?? placeholder(dmiProduct),
    hardwareRevision: split?.revision ?? pi?.revision ?? placeholder(dmiVersion),
    memoryBytes:
      pi?.memoryBytes ??
      (memTotalKiB !== null && Number.isFinite(memTotalKiB) && memTotalKiB > 0
        ? nominalMemoryBytes(memTotalKiB * 1024)
        : null),
  };
}
