import { Resolver } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import type { z } from 'zod';
import type { DnsServer } from '../../../twin-core/src/messages/deviceActivity';
import type { dnsSchema } from '../../../twin-core/src/messages/snapshot';
import { commandRunner } from './command';
import type { CollectOptions, SystemPaths } from './context';
import { errorMessage, join, readOptional, readText } from './read';

type Dns = z.output<typeof dnsSchema>;
/** The resolver configuration of the snapshot (resolv.conf). */
export type DnsConfig = Extract<Dns['config'], { available: true }>['value'];
/** The DNS cache figures of the snapshot. */
export type DnsCache = Extract<Dns['cache'], { available: true }>['value'];

/**
 * Parses resolv.conf(5): `nameserver` lines, the `search` list (or `domain`, which it replaces) and `options`.
 *
 * @example
 * parseResolvConf('nameserver 192.168.1.1\nsearch lan\n') // { nameservers: ['192.168.1.1'], search: ['lan'], options: [] }
 */
export function parseResolvConf(text: string): DnsConfig {
  const config: DnsConfig = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0]) config.nameservers.push(values[0].slice(0, 64));
    else if (keyword === 'search' || keyword === 'domain') config.search = values.map((value) => value.slice(0, 253));
    else if (keyword === 'options') config.options.push(...values.map((value) => value.slice(0, 64)));
  }
  return config;
}

/** DNS configuration probe: /etc/resolv.conf. */
export async function readDnsConfig(paths: SystemPaths): Promise<DnsConfig> {
  return parseResolvConf(await readText(join(paths.etc, 'resolv.conf')));
}

/**
 * Parses `resolvectl statistics` (systemd-resolved): current cache size, cache hits and misses.
 *
 * @example
 * parseResolvectlStatistics('Cache\n  Current Cache Size: 2\n  Cache Hits: 1\n  Cache Misses: 5\n').hits // 1
 */
export function parseResolvectlStatistics(text: string): DnsCache {
  const value = (label: string) => {
    const match = new RegExp(`^\\s*${label}:\\s*(\\d+)\\s*$`, 'mi').exec(text);
    return match ? Number(match[1]) : null;
  };
  const cache = {
    source: 'systemd-resolved',
    entries: value('Current Cache Size'),
    hits: value('Cache Hits'),
    misses: value('Cache Misses'),
  };
  if (cache.entries === null && cache.hits === null && cache.misses === null) {
    throw new Error('resolvectl statistics printed no cache figures');
  }
  return cache;
}

/**
 * DNS cache probe (seed 001 IV.16): Linux keeps no DNS cache in the kernel and no file shows one, so the only
 * cache read is systemd-resolved's, through `resolvectl statistics` with `options.commandTimeoutMs`. Without it
 * the probe is unavailable and says why.
 */
export async function readDnsCache(options: CollectOptions): Promise<DnsCache> {
  try {
    return parseResolvectlStatistics(
      await commandRunner(options)('resolvectl', ['statistics'], options.commandTimeoutMs),
    );
  } catch (error) {
    throw new Error(
      `no DNS cache observable: ${errorMessage(
        error,
      )} (the kernel keeps no DNS cache; systemd-resolved is the cache this agent reads)`,
    );
  }
}

/**
 * An address in binary (seed 001 IV.4 "Binary_format"): IPv4 as four dotted octets of 8 bits, IPv6 as eight
 * colon-separated groups of 16 bits (zeros expanded); null for what is not an IP address.
 *
 * @example
 * binaryAddress('192.168.1.1') // '11000000.10101000.00000001.00000001'
 */
export function binaryAddress(address: string): string | null {
  if (isIPv4(address)) return address.split('.').map((part) => Number(part).toString(2).padStart(8, '0')).join('.');
  if (!isIPv6(address)) return null;
  const [head, tail = ''] = address.split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const left = groups(head!);
  const right = groups(tail);
  const all = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  if (all.length !== 8 || all.some((group) => !/^[0-9a-f]{1,4}$/i.test(group))) return null;
  return all.map((group) => Number.parseInt(group, 16).toString(2).padStart(16, '0')).join(':');
}

/** The names /etc/hosts gives `address` (first name, then aliases), in file order. */
export function hostsNames(hostsText: string, address: string): string[] {
  const names: string[] = [];
  for (const raw of hostsText.split('\n')) {
    const [ip, ...rest] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (ip === address) names.push(...rest.filter(Boolean).map((name) => name.slice(0, 253)));
  }
  return names;
}

/**
 * DNS servers probe (seed 001 IV.4 DNS information): for each nameserver of resolv.conf, its address in binary,
 * its name (a reverse lookup, PTR, through the system's resolver with the command timeout) and aliases (further PTR
 * names, then /etc/hosts names of the address). A server without a reverse record has a null name and says why.
 */
export async function readDnsServers(options: CollectOptions): Promise<DnsServer[]> {
  const { nameservers } = await readDnsConfig(options.paths);
  const hosts = (await readOptional(join(options.paths.etc, 'hosts'))) ?? '';
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(options.commandTimeoutMs / 2)), tries: 1 });
  return Promise.all(
    nameservers.slice(0, 16).map(async (address) => {
      let names: string[] = [];
      let nameError: string | null = null;
      try {
        names = (await resolver.reverse(address)).map((name) => name.slice(0, 253));
      } catch (error) {
        nameError = `no reverse (PTR) record: ${errorMessage(error)}`.slice(0, 256);
      }
      const fromHosts = hostsNames(hosts, address);
      const name = names[0] ?? fromHosts[0] ?? null;
      const aliases = [...new Set([...names, ...fromHosts])].filter((alias) => alias !== name).slice(0, 32);
      return { address, binary: binaryAddress(address) ?? '', name, aliases, nameError: name === null ? nameError : null };
    }),
  );
}
