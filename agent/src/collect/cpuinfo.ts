import { appSpecificMachineId, readMachineId } from './machineId';
import { decodePiRevision, type PiRevision } from './raspberryPi';
import { join, readAttribute, readHead, readText } from './read';
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

/** An identity value as the machine reports it, with where it was read; null when nothing reports it. */
export type Reported<value> = { value: value; source: string } | null;

/** Board and machine identity found on the device, each field with where it came from (null when nothing says). */
export type BoardInfo = {
  cpu: CpuInfo;
  pi: PiRevision | null;
  serialNumber: Reported<string>;
  manufacturer: Reported<string>;
  hardwareModel: Reported<string>;
  hardwareRevision: Reported<string>;
  memoryBytes: Reported<number>;
};

/** DMI strings firmware vendors leave in unset fields. */
const DMI_PLACEHOLDER =
  /^(to be filled by o\.e\.m\.|default string|not specified|not applicable|system (product name|serial number|version|manufacturer)|none|n\/a|unknown|0+)$/i;

/** The first value that is reported, in order of preference. */
function first<value>(...candidates: Reported<value>[]): Reported<value> {
  return candidates.find((candidate) => candidate !== null) ?? null;
}

function reported<value>(value: value | null | undefined, source: string): Reported<value> {
  return value === null || value === undefined ? null : { value, source };
}

/**
 * The vendor of a device tree's first `compatible` entry (`pine64,rockpro64` → `pine64`): what an ARM board without
 * DMI says about its maker.
 */
export function deviceTreeVendor(compatible: string | null): string | null {
  const entry = compatible?.split('\0')[0]?.trim() ?? '';
  const comma = entry.indexOf(',');
  return comma > 0 ? entry.slice(0, comma) : null;
}

/**
 * Reads the board and machine identity, each field from the first source that reports it:
 *
 * - serial number: /proc/cpuinfo `Serial`, /proc/device-tree/serial-number, DMI `product_serial`, DMI
 *   `board_serial` (both readable by root only), then the agent's app-specific ID of /etc/machine-id;
 * - manufacturer: a Raspberry Pi revision code, DMI `sys_vendor`, DMI `board_vendor`, the device tree's vendor;
 * - model and revision: the device-tree model (`… Rev 1.4`), a revision code, DMI `product_name` and
 *   `product_version`, DMI `board_name` and `board_version`;
 * - memory: the revision code, else /proc/meminfo rounded to the nominal size.
 *
 * DMI placeholders (`To be filled by O.E.M.`, `Not Specified`…) count as absent.
 */
export async function readBoardInfo(paths: SystemPaths): Promise<BoardInfo> {
  const dmiPath = (file: string) => join(paths.sys, 'class', 'dmi', 'id', file);
  const deviceTreePath = (file: string) => join(paths.proc, 'device-tree', file);
  const dmiFields = ['sys_vendor', 'product_name', 'product_version', 'product_serial'] as const;
  const boardFields = ['board_vendor', 'board_name', 'board_version', 'board_serial'] as const;
  const [cpuinfoText, dtModel, dtSerial, dtCompatible, meminfo, machineId, ...dmiValues] = await Promise.all([
    // A system without /proc/cpuinfo has simply told us nothing: every field falls back or is reported missing.
    readText(join(paths.proc, 'cpuinfo')).catch(() => ''),
    readAttribute(deviceTreePath('model')),
    readAttribute(deviceTreePath('serial-number')),
    readHead(deviceTreePath('compatible')),
    readAttribute(join(paths.proc, 'meminfo')),
    readMachineId(paths),
    ...[...dmiFields, ...boardFields].map((file) => readAttribute(dmiPath(file))),
  ]);
  const dmi = new Map([...dmiFields, ...boardFields].map((file, index) => [file, dmiValues[index] ?? null]));
  const fromDmi = (file: (typeof dmiFields)[number] | (typeof boardFields)[number]): Reported<string> => {
    const value = dmi.get(file) ?? null;
    return value !== null && !DMI_PLACEHOLDER.test(value) ? { value, source: dmiPath(file) } : null;
  };
  const cpu = parseCpuInfo(cpuinfoText);
  const cpuinfo = join(paths.proc, 'cpuinfo');
  const pi = cpu.revision === null ? null : decodePiRevision(cpu.revision);
  const piSource = `the Raspberry Pi revision code in ${cpuinfo}`;
  const boardModel = reported(dtModel, deviceTreePath('model')) ?? reported(cpu.model, cpuinfo);
  const split = boardModel === null ? null : { ...splitModelRevision(boardModel.value), source: boardModel.source };
  const memTotalKiB = meminfo === null ? null : Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  return {
    cpu,
    pi,
    serialNumber: first(
      reported(cpu.serial, cpuinfo),
      reported(dtSerial !== null && !/^0+$/.test(dtSerial) ? dtSerial : null, deviceTreePath('serial-number')),
      fromDmi('product_serial'),
      fromDmi('board_serial'),
      reported(
        machineId === null ? null : appSpecificMachineId(machineId),
        `the agent's app-specific ID of ${join(paths.etc, 'machine-id')}`,
      ),
    ),
    // The brand is the identity's manufacturer; the factory in the revision code (Sony UK…) is a build detail.
    manufacturer: first(
      reported(pi ? RASPBERRY_PI_MANUFACTURER : null, piSource),
      fromDmi('sys_vendor'),
      fromDmi('board_vendor'),
      reported(deviceTreeVendor(dtCompatible), deviceTreePath('compatible')),
    ),
    hardwareModel: first(
      reported(split?.model, split?.source ?? ''),
      reported(pi?.model, piSource),
      fromDmi('product_name'),
      fromDmi('board_name'),
    ),
    hardwareRevision: first(
      reported(split?.revision, split?.source ?? ''),
      reported(pi?.revision, piSource),
      fromDmi('product_version'),
      fromDmi('board_version'),
    ),
    memoryBytes: first(
      reported(pi?.memoryBytes, piSource),
      reported(
        memTotalKiB !== null && Number.isFinite(memTotalKiB) && memTotalKiB > 0
          ? nominalMemoryBytes(memTotalKiB * 1024)
          : null,
        join(paths.proc, 'meminfo'),
      ),
    ),
  };
}
