import { isIP } from 'node:net';
import type { SystemPaths } from './context';
import { join, listDirectory, readAttribute, readOptional } from './read';

/** A candidate interface for the device's identity MAC. */
export type InterfaceMac = { name: string; mac: string; physical: boolean };

const ZERO_MAC = /^(00:){5}00$/;

/**
 * Chooses the primary interface's MAC: `eth0`, then `wlan0`, then other physical interfaces (with a `device` link
 * in sysfs), then anything else, each group by name; `lo` and all-zero MACs are skipped. Null when none is left.
 *
 * @example
 * selectPrimaryMac([{ name: 'wlan0', mac: 'dc:a6:32:00:00:02', physical: true }, { name: 'eth0', … }]) // eth0's
 */
export function selectPrimaryMac(interfaces: InterfaceMac[]): InterfaceMac | null {
  const usable = interfaces.filter(
    (entry) => entry.name !== 'lo' && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(entry.mac) && !ZERO_MAC.test(entry.mac),
  );
  const rank = (entry: InterfaceMac) =>
    entry.name === 'eth0' ? 0 : entry.name === 'wlan0' ? 1 : entry.physical ? 2 : 3;
  usable.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return usable[0] ?? null;
}

/** Reads /sys/class/net/<name>/address for every interface, noting which are physical devices. */
export async function readInterfaceMacs(paths: SystemPaths): Promise<InterfaceMac[]> {
  const root = join(paths.sys, 'class', 'net');
  const names = await listDirectory(root);
  const entries = await Promise.all(
    names.map(async (name) => {
      const mac = await readAttribute(join(root, name, 'address'));
      const device = await readOptional(join(root, name, 'device', 'uevent'));
      return mac === null ? null : { name, mac: mac.toLowerCase(), physical: device !== null };
    }),
  );
  return entries.filter((entry): entry is InterfaceMac => entry !== null);
}

/**
 * The statically configured IPv4/IPv6 address in dhcpcd.conf (Raspberry Pi OS up to bullseye): the first
 * `static ip_address=` (or `ip6_address=`), preferring the block of `preferredInterface`; the prefix length is
 * dropped. Null when dhcpcd configures no static address.
 *
 * @example
 * parseDhcpcdStaticIp('interface eth0\nstatic ip_address=192.168.1.40/24\n', 'eth0') // '192.168.1.40'
 */
export function parseDhcpcdStaticIp(text: string, preferredInterface: string | null): string | null {
  const found: { interface: string | null; address: string }[] = [];
  let current: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const block = /^(interface|profile|ssid)\s+(\S+)/.exec(line);
    if (block) {
      current = block[1] === 'interface' ? block[2]! : null;
      continue;
    }
    const match = /^static\s+ip6?_address\s*=\s*([^\s/]+)/.exec(line);
    if (match && isIP(match[1]!) !== 0) found.push({ interface: current, address: match[1]! });
  }
  const preferred = found.find((entry) => entry.interface !== null && entry.interface === preferredInterface);
  return (preferred ?? found[0])?.address ?? null;
}

/**
 * The static IP from Debian's /etc/network/interfaces: the `address` of an `iface … inet static` (or `inet6
 * static`) stanza, preferring `preferredInterface`. Null when every interface uses DHCP or the file is absent.
 */
export function parseInterfacesStaticIp(text: string, preferredInterface: string | null): string | null {
  const found: { interface: string; address: string }[] = [];
  let current: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const stanza = /^iface\s+(\S+)\s+inet6?\s+(\S+)/.exec(line);
    if (stanza) {
      current = stanza[2] === 'static' ? stanza[1]! : null;
      continue;
    }
    if (/^(auto|allow-\S+|mapping|source)\b/.test(line)) current = null;
    const match = /^address\s+([^\s/]+)/.exec(line);
    if (match && current !== null && isIP(match[1]!) !== 0) found.push({ interface: current, address: match[1]! });
  }
  const preferred = found.find((entry) => entry.interface === preferredInterface);
  return (preferred ?? found[0])?.address ?? null;
}

/** Reads the static IP from /etc/dhcpcd.conf, then /etc/network/interfaces; null when neither sets one. */
export async function readStaticIp(paths: SystemPaths, preferredInterface: string | null): Promise<string | null> {
  const [dhcpcd, interfaces] = await Promise.all([
    readOptional(join(paths.etc, 'dhcpcd.conf')),
    readOptional(join(paths.etc, 'network', 'interfaces')),
  ]);
  return (
    (dhcpcd === null ? null : parseDhcpcdStaticIp(dhcpcd, preferredInterface)) ??
    (interfaces === null ? null : parseInterfacesStaticIp(interfaces, preferredInterface))
  );
}
