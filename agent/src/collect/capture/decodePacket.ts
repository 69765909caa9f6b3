import { formatIpv6 } from '../ipAddress';
import type { CapturedFrame } from './pcapStream';

/** Link types tcpdump writes (pcap LINKTYPE_*). */
export const LINK_TYPES = { ethernet: 1, raw: 101, linuxSll: 113, linuxSll2: 276, loopbackNull: 0, ipv4: 228, ipv6: 229 } as const;

/** What one frame's headers say (no payload is kept: `payload` views the captured bytes during the callback only). */
export type DecodedPacket = {
  atMs: number;
  /** true sent by this device, false received, null unknown (then decided from the local addresses). */
  outgoing: boolean | null;
  /** The frame came through the loopback interface (never leaves the device). */
  loopback: boolean;
  family: 4 | 6;
  source: string;
  destination: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  ipProtocol: number;
  sourcePort: number;
  destinationPort: number;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
  tcpFlags: number;
  tcpSeq: number;
  /** ICMP type and code (−1 when not ICMP). */
  icmpType: number;
  icmpCode: number;
  /** Bytes of the IP packet on the wire. */
  ipBytes: number;
  /** Transport payload length from the headers (not limited by the snaplen). */
  payloadBytes: number;
  /** The captured start of the transport payload (for the DNS and TLS header parsers; may be truncated). */
  payload: Uint8Array;
};

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const EMPTY = new Uint8Array(0);
const ARPHRD_LOOPBACK = 772;

/** IPv4 address at `offset` as a dotted quad. */
export function ipv4String(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** IPv6 address at `offset`, as RFC 5952 text (the collector's one formatter, `formatIpv6`). */
export function ipv6String(bytes: Uint8Array, offset: number): string {
  return formatIpv6(Array.from(bytes.subarray(offset, offset + 16)));
}

/**
 * Decodes the link, IP (v4 or v6) and transport headers of one captured frame: Ethernet (with one VLAN tag), Linux
 * cooked capture v1/v2 (`tcpdump -i any`, which also tells the direction and the loopback interface) and raw IP.
 * Returns null for what is not IP (ARP…) or too short to hold its headers.
 *
 * @example
 * decodePacket(frame)?.protocol // 'tcp'
 */
export function decodePacket(frame: CapturedFrame): DecodedPacket | null {
  const bytes = frame.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let etherType = 0;
  let outgoing: boolean | null = null;
  let loopback = false;
  const direction = (packetType: number) => (packetType === 4 ? true : packetType <= 2 ? false : null);
  switch (frame.linkType) {
    case LINK_TYPES.ethernet: {
      if (bytes.length < 14) return null;
      etherType = view.getUint16(12);
      offset = 14;
      if (etherType === 0x8100 && bytes.length >= 18) {
        etherType = view.getUint16(16);
        offset = 18;
      }
      break;
    }
    case LINK_TYPES.linuxSll: {
      if (bytes.length < 16) return null;
      const packetType = view.getUint16(0);
      if (packetType === 3) return null; // to another host (promiscuous): not this device's traffic
      outgoing = direction(packetType);
      loopback = view.getUint16(2) === ARPHRD_LOOPBACK;
      etherType = view.getUint16(14);
      offset = 16;
      break;
    }
    case LINK_TYPES.linuxSll2: {
      if (bytes.length < 20) return null;
      etherType = view.getUint16(0);
      loopback = view.getUint16(8) === ARPHRD_LOOPBACK;
      const packetType = bytes[10]!;
      if (packetType === 3) return null;
      outgoing = direction(packetType);
      offset = 20;
      break;
    }
    case LINK_TYPES.raw:
    case LINK_TYPES.ipv4:
    case LINK_TYPES.ipv6: {
      if (bytes.length < 1) return null;
      etherType = bytes[0]! >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    }
    default:
      return null;
  }
  let family: 4 | 6;
  let source: string;
  let destination: string;
  let ipProtocol: number;
  let ipBytes: number;
  let l4: number;
  let l4Length: number;
  if (etherType === 0x0800) {
    if (bytes.length < offset + 20 || bytes[offset]! >> 4 !== 4) return null;
    const headerLength = (bytes[offset]! & 0x0f) * 4;
    if (headerLength < 20) return null;
    family = 4;
    ipBytes = view.getUint16(offset + 2);
    const fragment = view.getUint16(offset + 6) & 0x1fff;
    ipProtocol = fragment === 0 ? bytes[offset + 9]! : -1; // a later fragment carries no transport header
    source = ipv4String(bytes, offset + 12);
    destination = ipv4String(bytes, offset + 16);
    l4 = offset + headerLength;
    l4Length = Math.max(0, ipBytes - headerLength);
  } else if (etherType === 0x86dd) {
    if (bytes.length < offset + 40 || bytes[offset]! >> 4 !== 6) return null;
    family = 6;
    l4Length = view.getUint16(offset + 4);
    ipBytes = l4Length + 40;
    ipProtocol = bytes[offset + 6]!;
    source = ipv6String(bytes, offset + 8);
    destination = ipv6String(bytes, offset + 24);
    l4 = offset + 40;
  } else return null;
  const packet: DecodedPacket = {
    atMs: frame.atMs,
    outgoing,
    loopback,
    family,
    source,
    destination,
    protocol: 'other',
    ipProtocol,
    sourcePort: 0,
    destinationPort: 0,
    tcpFlags: 0,
    tcpSeq: 0,
    icmpType: -1,
    icmpCode: -1,
    ipBytes,
    payloadBytes: 0,
    payload: EMPTY,
  };
  if (ipProtocol === 6 && bytes.length >= l4 + 20) {
    const dataOffset = (bytes[l4 + 12]! >> 4) * 4;
    packet.protocol = 'tcp';
    packet.sourcePort = view.getUint16(l4);
    packet.destinationPort = view.getUint16(l4 + 2);
    packet.tcpSeq = view.getUint32(l4 + 4);
    packet.tcpFlags = bytes[l4 + 13]!;
    packet.payloadBytes = Math.max(0, l4Length - dataOffset);
    packet.payload = bytes.subarray(Math.min(bytes.length, l4 + dataOffset));
  } else if (ipProtocol === 17 && bytes.length >= l4 + 8) {
    packet.protocol = 'udp';
    packet.sourcePort = view.getUint16(l4);
    packet.destinationPort = view.getUint16(l4 + 2);
    packet.payloadBytes = Math.max(0, l4Length - 8);
    packet.payload = bytes.subarray(l4 + 8);
  } else if ((ipProtocol === 1 || ipProtocol === 58) && bytes.length >= l4 + 4) {
    packet.protocol = 'icmp';
    packet.icmpType = bytes[l4]!;
    packet.icmpCode = bytes[l4 + 1]!;
    packet.payloadBytes = Math.max(0, l4Length - 8);
    packet.payload = bytes.subarray(Math.min(bytes.length, l4 + 8));
  }
  return packet;
}
