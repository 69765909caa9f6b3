import { isIP } from 'node:net';

/** An address family as the snapshot names it. */
export type AddressFamily = 'IPv4' | 'IPv6';

/**
 * An address in one canonical text: IPv4-mapped IPv6 (`::ffff:10.0.0.5`) as the IPv4 address, IPv6 in lower case
 * without a zone; null for text that is no IP address.
 *
 * @example
 * normaliseAddress('::ffff:10.0.0.5') // '10.0.0.5'
 * normaliseAddress('FE80::1%eth0') // 'fe80::1'
 */
export function normaliseAddress(text: string): string | null {
  const bare = text.trim().replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  const address = mapped ? mapped[1]! : bare;
  return isIP(address) === 0 ? null : address;
}

/** The family of a normalised address. */
export function familyOf(address: string): AddressFamily {
  return isIP(address) === 6 ? 'IPv6' : 'IPv4';
}

/**
 * Whether an address names no remote host: unspecified (`0.0.0.0`, `::`), loopback (`127.0.0.0/8`, `::1`) or
 * multicast/broadcast. Flows and neighbours to such addresses are not links between hosts.
 *
 * @example
 * isLocalOnly('127.0.0.53') // true
 */
export function isLocalOnly(address: string): boolean {
  if (address === '0.0.0.0' || address === '::' || address === '::1' || address === '255.255.255.255') return true;
  if (familyOf(address) === 'IPv4') {
    const first = Number(address.split('.')[0]);
    return first === 127 || (first >= 224 && first <= 239);
  }
  return address.startsWith('ff');
}

/** Whether an address is link-local (`169.254.0.0/16`, `fe80::/10`): meaningful only on its own link. */
export function isLinkLocal(address: string): boolean {
  return familyOf(address) === 'IPv4' ? address.startsWith('169.254.') : /^fe[89ab]/.test(address);
}

/** A parsed prefix (`10.0.0.0/8`) that answers whether an address is in it. */
export type Prefix = { text: string; family: AddressFamily; length: number; contains(address: string): boolean };

/** Addresses already converted (a fleet repeats the same few gateways and servers); cleared when full. */
const BITS = new Map<string, bigint>();

/** An address as an integer (IPv4: 32 bits, IPv6: 128 bits). */
function addressBits(address: string): bigint {
  let bits = BITS.get(address);
  if (bits === undefined) {
    if (BITS.size >= 65_536) BITS.clear();
    bits = convertAddress(address);
    BITS.set(address, bits);
  }
  return bits;
}

function convertAddress(address: string): bigint {
  if (familyOf(address) === 'IPv4') {
    return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const expand = (part: string) => {
    if (!part.includes('.')) return [part];
    const v4 = addressBits(part);
    return [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
  };
  const left = groups(head).flatMap(expand);
  const right = groups(tail).flatMap(expand);
  const all = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/**
 * Parses `address/length` (a route destination or an interface's CIDR); null when malformed. An interface CIDR
 * (`10.0.0.16/8`) names its subnet.
 *
 * @example
 * parsePrefix('10.0.0.16/8')?.contains('10.1.2.3') // true
 */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return null;
  const address = normaliseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  const length = Number(lengthText);
  if (address === null || !/^\d{1,3}$/.test(lengthText)) return null;
  const family = familyOf(address);
  const width = family === 'IPv4' ? 32n : 128n;
  if (BigInt(length) > width) return null;
  const mask = ((1n << width) - 1n) ^ ((1n << (width - BigInt(length))) - 1n);
  const network = addressBits(address) & mask;
  return {
    text,
    family,
    length,
    contains: (candidate) => familyOf(candidate) === family && (addressBits(candidate) & mask) === network,
  };
}
