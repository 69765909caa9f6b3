import type { z } from 'zod';
import type { dnsSchema } from '../../../twin-core/src/messages/snapshot';
import { commandRunner } from './command';
import type { CollectOptions, SystemPaths } from './context';
import { errorMessage, join, readText } from './read';

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
