import type { z } from 'zod';
import type { arpEntrySchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, readText } from './read';

/** One ARP cache entry of the snapshot. */
export type ArpEntry = z.output<typeof arpEntrySchema>;

/** ARP flag bits (include/uapi/linux/if_arp.h). */
const ATF_COM = 0x02;
const ATF_PERM = 0x04;

/** An entry's kind from its flags: ATF_PERM → static, ATF_COM → dynamic (learned), neither → incomplete. */
export function arpKind(flags: number): ArpEntry['kind'] {
  if (flags & ATF_PERM) return 'static';
  if (flags & ATF_COM) return 'dynamic';
  return 'incomplete';
}

/**
 * Parses /proc/net/arp (IP address, HW type, Flags, HW address, Mask, Device).
 *
 * @example
 * parseArp(text)[0] // { ip: '192.168.1.1', mac: 'e4:8d:8c:11:22:33', device: 'eth0', flags: '0x2', kind: 'dynamic' }
 */
export function parseArp(text: string): ArpEntry[] {
  const entries: ArpEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6) continue;
    entries.push({
      ip: fields[0]!.slice(0, 64),
      mac: fields[3]!.toLowerCase().slice(0, 17),
      device: fields[5]!.slice(0, 32),
      flags: fields[2]!.slice(0, 8),
      kind: arpKind(Number.parseInt(fields[2]!, 16)),
    });
  }
  return entries;
}

/** ARP cache and table probe (seed 001 IV.14–15): /proc/net/arp, static and dynamic entries told apart. */
export async function readArp(paths: SystemPaths): Promise<ArpEntry[]> {
  return parseArp(await readText(join(paths.proc, 'net', 'arp')));
}
