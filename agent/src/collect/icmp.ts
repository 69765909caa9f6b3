import type { z } from 'zod';
import type { icmpSchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, parseProtocolCounters, readText } from './read';

/** The ICMP statistics of the snapshot. */
export type Icmp = z.output<typeof icmpSchema>;

/**
 * ICMP statistics from /proc/net/snmp: totals from the `Icmp` lines and counts by message type from the
 * `IcmpMsg` lines (`InType3`, `OutType8`…; the kernel omits those lines while every count is zero).
 *
 * @example
 * parseIcmp(snmp).inByType // { '0': 4, '3': 1 }
 */
export function parseIcmp(snmpText: string): Icmp {
  const counters = parseProtocolCounters(snmpText);
  const icmp = counters.Icmp;
  if (!icmp) throw new Error('no Icmp lines in /proc/net/snmp');
  const inByType: Record<string, number> = {};
  const outByType: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters.IcmpMsg ?? {})) {
    const match = /^(In|Out)Type(\d+)$/.exec(name);
    if (match) (match[1] === 'In' ? inByType : outByType)[match[2]!] = value;
  }
  return {
    inMessages: icmp.InMsgs ?? 0,
    inErrors: icmp.InErrors ?? 0,
    outMessages: icmp.OutMsgs ?? 0,
    outErrors: icmp.OutErrors ?? 0,
    inByType,
    outByType,
  };
}

/** ICMP probe (seed 001 IV.13): /proc/net/snmp. */
export async function readIcmp(paths: SystemPaths): Promise<Icmp> {
  return parseIcmp(await readText(join(paths.proc, 'net', 'snmp')));
}
