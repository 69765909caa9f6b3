import { networkInterfaces } from 'node:os';
import type { Conntrack } from '../../../twin-core/src/messages/traffic';
import { commandRunner } from './command';
import type { CollectOptions } from './context';
import { errorMessage, join, readText } from './read';

type ConntrackFlow = Conntrack['flows'][number];

const PROTOCOLS: Record<string, ConntrackFlow['protocol']> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'icmp' };

/**
 * Parses the kernel's connection-tracking table, in the format of `/proc/net/nf_conntrack` (`ipv4 2 tcp 6 …`) or of
 * `conntrack -L` (`tcp 6 …`): per entry the protocol, TCP state, both directions' addresses and ports, packet and
 * byte counters (present when accounting is on) and the remaining timeout. The local end is the original source
 * unless only the original destination is one of `local`'s addresses. At most `limit` entries; the rest counted.
 *
 * @example
 * parseConntrack(text, new Set(['10.0.0.2']), 512, new Date().toISOString()).flows[0].peerPort // 443
 */
export function parseConntrack(text: string, local: ReadonlySet<string>, limit: number, lastSeen: string) {
  const flows: ConntrackFlow[] = [];
  let truncated = 0;
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const at = tokens.findIndex((token) => token in PROTOCOLS);
    if (at < 0 || at > 2) continue;
    const protocol = PROTOCOLS[tokens[at]!]!;
    const timeoutSeconds = Number(tokens[at + 2]);
    const state = protocol === 'tcp' && /^[A-Z_]+$/.test(tokens[at + 3] ?? '') ? tokens[at + 3]! : null;
    const directions: Array<Record<string, string>> = [{}, {}];
    let side = 0;
    for (const token of tokens) {
      const eq = token.indexOf('=');
      if (eq < 0) continue;
      const key = token.slice(0, eq);
      if (key === 'src' && directions[side]!.src !== undefined) side = 1;
      if (side < 2) directions[side]![key] ??= token.slice(eq + 1);
    }
    const [original, reply] = directions as [Record<string, string>, Record<string, string>];
    if (!original.src || !original.dst || !Number.isFinite(timeoutSeconds)) continue;
    if (flows.length >= limit) {
      truncated++;
      continue;
    }
    const outbound = !(local.has(original.dst) && !local.has(original.src));
    const number = (value: string | undefined) => (value === undefined || !/^\d+$/.test(value) ? null : Number(value));
    const portOf = (value: string | undefined) => Math.min(65_535, number(value) ?? 0);
    const [mine, theirs] = outbound ? [original, reply] : [reply, original];
    flows.push({
      protocol,
      state,
      localAddress: (outbound ? original.src : original.dst).slice(0, 64),
      localPort: portOf(outbound ? original.sport : original.dport),
      peerAddress: (outbound ? original.dst : original.src).slice(0, 64),
      peerPort: portOf(outbound ? original.dport : original.sport),
      outbound,
      packetsOut: number(mine.packets),
      packetsIn: number(theirs.packets),
      bytesOut: number(mine.bytes),
      bytesIn: number(theirs.bytes),
      timeoutSeconds: Math.max(0, Math.floor(timeoutSeconds)),
      replied: line.includes('[ASSURED]') || !line.includes('[UNREPLIED]'),
      lastSeen,
    });
  }
  return { flows, truncated };
}

/**
 * Conntrack probe: `/proc/net/nf_conntrack`, else `conntrack -L` (Debian's conntrack), with the agent's flow bound.
 * Unavailable, with the reason, where the kernel tracks no connections or the agent may not read the table.
 */
export async function readConntrack(options: CollectOptions, limit: number): Promise<Conntrack> {
  const local = new Set<string>();
  const interfaces = options.host?.networkInterfaces?.() ?? networkInterfaces();
  for (const list of Object.values(interfaces)) for (const entry of list ?? []) local.add(entry.address);
  const lastSeen = new Date(options.now()).toISOString();
  let procError: string;
  try {
    const text = await readText(join(options.paths.proc, 'net', 'nf_conntrack'));
    return { source: '/proc/net/nf_conntrack', ...parseConntrack(text, local, limit, lastSeen) };
  } catch (error) {
    procError = errorMessage(error);
  }
  try {
    const text = await commandRunner(options)('conntrack', ['-L'], options.commandTimeoutMs);
    return { source: 'conntrack -L', ...parseConntrack(text, local, limit, lastSeen) };
  } catch (error) {
    throw new Error(
      `no connection tracking readable: /proc/net/nf_conntrack: ${procError}; conntrack -L: ${errorMessage(error)}`,
    );
  }
}
