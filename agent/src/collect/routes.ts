import type { z } from 'zod';
import type { routeSchema } from '../../../twin-core/src/messages/snapshot';
import { decodeHexIpv4, decodeHexIpv6, HOST_LITTLE_ENDIAN } from './ipAddress';

/** One IPv4 or IPv6 route. */
export type Route = z.output<typeof routeSchema>;

/** Route flag bits and the letters `route -n` / `route -6` show for them. */
const ROUTE_FLAGS: [number, string][] = [
  [0x0001, 'U'],
  [0x0002, 'G'],
  [0x0004, 'H'],
  [0x0008, 'R'],
  [0x0010, 'D'],
  [0x0020, 'M'],
  [0x0200, '!'],
  [0x40000, 'A'],
  [0x400000, 'e'],
  [0x1000000, 'C'],
];

/** Route flags as letters (`0x0003` → `UG`). */
export function formatRouteFlags(flags: number): string {
  return ROUTE_FLAGS.filter(([bit]) => (flags & bit) !== 0)
    .map(([, letter]) => letter)
    .join('')
    .slice(0, 16);
}

/** Prefix length of a netmask word written in host byte order (`00FFFFFF` → 24 on a little-endian host). */
function maskPrefix(hex: string, littleEndian: boolean): number {
  return decodeHexIpv4(hex, littleEndian)
    .split('.')
    .reduce((bits, part) => bits + Number(part).toString(2).replace(/0/g, '').length, 0);
}

/**
 * Parses /proc/net/route (IPv4, addresses in host byte order): destination as CIDR, gateway (null when direct),
 * interface, metric and flags.
 *
 * @example
 * parseIpv4Routes(text)[0] // { family: 'IPv4', destination: '0.0.0.0/0', gateway: '192.0.2.1', interface: 'eth0', metric: 0, flags: 'UG' }
 */
export function parseIpv4Routes(text: string, littleEndian = HOST_LITTLE_ENDIAN): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [iface, destination, gateway, flags, , , metric, mask] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const gatewayAddress = decodeHexIpv4(gateway, littleEndian);
    routes.push({
      family: 'IPv4',
      destination: `${decodeHexIpv4(destination, littleEndian)}/${maskPrefix(mask, littleEndian)}`,
      gateway: gatewayAddress === '0.0.0.0' ? null : gatewayAddress,
      interface: iface.slice(0, 32),
      metric: Number(metric),
      flags: formatRouteFlags(Number.parseInt(flags, 16)),
    });
  }
  return routes;
}

/**
 * Parses /proc/net/ipv6_route (network byte order: destination, prefix length, source, source prefix, next hop,
 * metric, reference count, use, flags, interface — numbers in hex).
 */
export function parseIpv6Routes(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const nextHop = decodeHexIpv6(fields[4]!);
    routes.push({
      family: 'IPv6',
      destination: `${decodeHexIpv6(fields[0]!)}/${Number.parseInt(fields[1]!, 16)}`,
      gateway: nextHop === '::' ? null : nextHop,
      interface: fields[9]!.slice(0, 32),
      metric: Number.parseInt(fields[5]!, 16),
      flags: formatRouteFlags(Number.parseInt(fields[8]!, 16)),
    });
  }
  return routes;
}
