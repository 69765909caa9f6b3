import { endianness } from 'node:os';

/** Whether /proc/net writes host-order words little-endian on this machine (x86 and ARM Linux do). */
export const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/** Bytes of a hex string (`0102` → [1, 2]). */
function hexBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let index = 0; index + 1 < hex.length; index += 2) bytes.push(Number.parseInt(hex.slice(index, index + 2), 16));
  return bytes;
}

/**
 * An IPv4 address as /proc/net/{tcp,udp,route,arp…} writes it: one 32-bit word in host byte order.
 *
 * @example
 * decodeHexIpv4('0100007F') // '127.0.0.1' on a little-endian host
 */
export function decodeHexIpv4(hex: string, littleEndian = HOST_LITTLE_ENDIAN): string {
  const bytes = hexBytes(hex.padStart(8, '0'));
  return (littleEndian ? bytes.reverse() : bytes).join('.');
}

/**
 * RFC 5952 text of 16 address bytes: lower case, leading zeros dropped, the longest run of two or more zero groups
 * as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @example
 * formatIpv6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) // 'fe80::1'
 */
export function formatIpv6(bytes: number[]): string {
  if (bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push((bytes[index]! << 8) | bytes[index + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const text = groups.map((group) => group.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}

/**
 * An IPv6 address as /proc/net/{tcp6,udp6} writes it: four 32-bit words, each in host byte order.
 *
 * @example
 * decodeHexIpv6Words('00000000000000000000000001000000') // '::1' on a little-endian host
 */
export function decodeHexIpv6Words(hex: string, littleEndian = HOST_LITTLE_ENDIAN): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word += 1) {
    const wordBytes = hexBytes(hex.slice(word * 8, word * 8 + 8));
    bytes.push(...(littleEndian ? wordBytes.reverse() : wordBytes));
  }
  return formatIpv6(bytes);
}

/** An IPv6 address in network byte order, as /proc/net/ipv6_route and if_inet6 write it. */
export function decodeHexIpv6(hex: string): string {
  return formatIpv6(hexBytes(hex.padStart(32, '0')));
}

/** Prefix length of an IPv4 netmask in dotted form (`255.255.255.0` → 24); counts the set bits. */
export function netmaskToPrefix(mask: string): number {
  return mask
    .split('.')
    .map((part) => Number(part).toString(2).replace(/0/g, '').length)
    .reduce((sum, bits) => sum + bits, 0);
}
