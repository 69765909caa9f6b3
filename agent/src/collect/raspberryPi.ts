/**
 * Raspberry Pi revision codes (/proc/cpuinfo `Revision`), decoded as the Raspberry Pi documentation describes
 * them ("Raspberry Pi revision codes"): new-style codes are a bit field `NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR`, old-style
 * codes (first boards) are looked up in a table.
 */

/** What a revision code says about the board. */
export type PiRevision = {
  /** The code as read, lower case without a warranty prefix (e.g. `c03114`). */
  code: string;
  /** Board type as the documentation names it (`4B`, `Zero 2 W`, …). */
  type: string;
  /** Full model name (`Raspberry Pi 4 Model B`). */
  model: string;
  /** Board revision as the device tree writes it (`1.4`). */
  revision: string;
  /** Who built the board (`Sony UK`, `Embest`, …). */
  manufacturer: string;
  /** System on chip (`BCM2711`). */
  processor: string;
  /** Installed memory in bytes (the nominal size). */
  memoryBytes: number;
};

const MIB = 1024 * 1024;

/** Bits 20–22: memory size. */
const MEMORY_BYTES = [256 * MIB, 512 * MIB, 1024 * MIB, 2048 * MIB, 4096 * MIB, 8192 * MIB, 16384 * MIB];

/** Bits 16–19: manufacturer. */
const MANUFACTURERS = ['Sony UK', 'Egoman', 'Embest', 'Sony Japan', 'Embest', 'Stadium'];

/** Bits 12–15: processor. */
const PROCESSORS = ['BCM2835', 'BCM2836', 'BCM2837', 'BCM2711', 'BCM2712'];

/** Bits 4–11: board type → [documentation name, full model name]. */
const TYPES: Record<number, [string, string]> = {
  0x00: ['A', 'Raspberry Pi Model A'],
  0x01: ['B', 'Raspberry Pi Model B'],
  0x02: ['A+', 'Raspberry Pi Model A+'],
  0x03: ['B+', 'Raspberry Pi Model B+'],
  0x04: ['2B', 'Raspberry Pi 2 Model B'],
  0x05: ['Alpha', 'Raspberry Pi Alpha'],
  0x06: ['CM1', 'Raspberry Pi Compute Module 1'],
  0x08: ['3B', 'Raspberry Pi 3 Model B'],
  0x09: ['Zero', 'Raspberry Pi Zero'],
  0x0a: ['CM3', 'Raspberry Pi Compute Module 3'],
  0x0c: ['Zero W', 'Raspberry Pi Zero W'],
  0x0d: ['3B+', 'Raspberry Pi 3 Model B+'],
  0x0e: ['3A+', 'Raspberry Pi 3 Model A+'],
  0x10: ['CM3+', 'Raspberry Pi Compute Module 3+'],
  0x11: ['4B', 'Raspberry Pi 4 Model B'],
  0x12: ['Zero 2 W', 'Raspberry Pi Zero 2 W'],
  0x13: ['400', 'Raspberry Pi 400'],
  0x14: ['CM4', 'Raspberry Pi Compute Module 4'],
  0x15: ['CM4S', 'Raspberry Pi Compute Module 4S'],
  0x17: ['5', 'Raspberry Pi 5'],
  0x18: ['CM5', 'Raspberry Pi Compute Module 5'],
  0x19: ['500', 'Raspberry Pi 500'],
  0x1a: ['CM5 Lite', 'Raspberry Pi Compute Module 5 Lite'],
};

/** Old-style codes: code → [type, revision, memory MiB, manufacturer]. */
const OLD_STYLE: Record<string, [string, string, number, string]> = {
  '0002': ['B', '1.0', 256, 'Egoman'],
  '0003': ['B', '1.0', 256, 'Egoman'],
  '0004': ['B', '2.0', 256, 'Sony UK'],
  '0005': ['B', '2.0', 256, 'Qisda'],
  '0006': ['B', '2.0', 256, 'Egoman'],
  '0007': ['A', '2.0', 256, 'Egoman'],
  '0008': ['A', '2.0', 256, 'Sony UK'],
  '0009': ['A', '2.0', 256, 'Qisda'],
  '000d': ['B', '2.0', 512, 'Egoman'],
  '000e': ['B', '2.0', 512, 'Sony UK'],
  '000f': ['B', '2.0', 512, 'Egoman'],
  '0010': ['B+', '1.2', 512, 'Sony UK'],
  '0011': ['CM1', '1.0', 512, 'Sony UK'],
  '0012': ['A+', '1.1', 256, 'Sony UK'],
  '0013': ['B+', '1.2', 512, 'Embest'],
  '0014': ['CM1', '1.0', 512, 'Embest'],
  '0015': ['A+', '1.1', 256, 'Embest'],
};

const OLD_STYLE_MODELS: Record<string, string> = {
  A: 'Raspberry Pi Model A',
  B: 'Raspberry Pi Model B',
  'A+': 'Raspberry Pi Model A+',
  'B+': 'Raspberry Pi Model B+',
  CM1: 'Raspberry Pi Compute Module 1',
};

/**
 * Decodes a Raspberry Pi revision code, or null when it is not one this table knows (another board, or a
 * future type). Manufacturer, memory and processor decode even for an unknown new-style type only when the type
 * is known, so the result is never half-invented.
 *
 * @example
 * decodePiRevision('c03114') // { type: '4B', model: 'Raspberry Pi 4 Model B', revision: '1.4', manufacturer: 'Sony UK', memoryBytes: 4294967296, … }
 */
export function decodePiRevision(input: string): PiRevision | null {
  const text = input.trim().toLowerCase();
  if (!/^[0-9a-f]{1,8}$/.test(text)) return null;
  const value = Number.parseInt(text, 16);
  const newStyle = (value >>> 23) & 1;
  if (!newStyle) {
    // Old style; a set warranty bit shows as a `1000` prefix (e.g. `1000000e`).
    const code = (value & 0xffffff).toString(16).padStart(4, '0');
    const entry = OLD_STYLE[code];
    if (!entry) return null;
    const [type, revision, memoryMiB, manufacturer] = entry;
    return {
      code,
      type,
      model: OLD_STYLE_MODELS[type]!,
      revision,
      manufacturer,
      processor: 'BCM2835',
      memoryBytes: memoryMiB * MIB,
    };
  }
  const typeEntry = TYPES[(value >>> 4) & 0xff];
  const manufacturer = MANUFACTURERS[(value >>> 16) & 0xf];
  const processor = PROCESSORS[(value >>> 12) & 0xf];
  const memoryBytes = MEMORY_BYTES[(value >>> 20) & 0x7];
  if (!typeEntry || !manufacturer || !processor || memoryBytes === undefined) return null;
  return {
    code: (value & 0xffffff).toString(16).padStart(6, '0'),
    type: typeEntry[0],
    model: typeEntry[1],
    revision: `1.${value & 0xf}`,
    manufacturer,
    processor,
    memoryBytes,
  };
}
