import type { z } from 'zod';
import type { networkSchema, socketSchema } from '../../../twin-core/src/messages/snapshot';
import { decodeHexIpv4, decodeHexIpv6Words, HOST_LITTLE_ENDIAN } from './ipAddress';

/** One TCP or UDP socket. */
export type Socket = z.output<typeof socketSchema>;
/** Which /proc/net table a socket came from. */
export type SocketProtocol = Socket['protocol'];
/** A listening port. */
export type Listening = z.output<typeof networkSchema>['listening'][number];

/** Kernel TCP states (include/net/tcp_states.h) as netstat names them. */
export const TCP_STATES: Record<number, string> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW_SYN_RECV',
};

/** A socket's state name: TCP states as netstat shows them; UDP is `ESTABLISHED` when connected, else `UNCONN` (as ss). */
export function socketState(protocol: SocketProtocol, code: number): string {
  if (protocol === 'udp' || protocol === 'udp6') return code === 0x01 ? 'ESTABLISHED' : 'UNCONN';
  return TCP_STATES[code] ?? `UNKNOWN_${code.toString(16)}`;
}

/** `0100007F:0277` → address and port, for IPv4 (8 hex digits) or IPv6 (32) in host-order words. */
export function decodeEndpoint(text: string, littleEndian = HOST_LITTLE_ENDIAN): { address: string; port: number } {
  const [hex, port] = text.split(':') as [string, string];
  return {
    address: hex.length === 32 ? decodeHexIpv6Words(hex, littleEndian) : decodeHexIpv4(hex, littleEndian),
    port: Number.parseInt(port, 16),
  };
}

/**
 * Parses /proc/net/{tcp,tcp6,udp,udp6}: local and remote endpoints, state, owner UID and inode.
 *
 * @example
 * parseSockets('tcp', text)[0] // { protocol: 'tcp', localAddress: '0.0.0.0', localPort: 22, state: 'LISTEN', … }
 */
export function parseSockets(protocol: SocketProtocol, text: string, littleEndian = HOST_LITTLE_ENDIAN): Socket[] {
  const sockets: Socket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !fields[0]!.endsWith(':')) continue;
    const local = decodeEndpoint(fields[1]!, littleEndian);
    const remote = decodeEndpoint(fields[2]!, littleEndian);
    sockets.push({
      protocol,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: socketState(protocol, Number.parseInt(fields[3]!, 16)),
      uid: Number(fields[7]),
      inode: Number(fields[9]),
    });
  }
  return sockets;
}

/** Whether a socket accepts connections or datagrams: TCP in LISTEN, UDP unconnected and bound to a port. */
export function isListening(socket: Socket): boolean {
  if (socket.protocol === 'tcp' || socket.protocol === 'tcp6') return socket.state === 'LISTEN';
  return socket.state === 'UNCONN' && socket.localPort !== 0;
}

/** The listening ports (ss -l): protocol, address and port of each listening socket, duplicates removed, by port. */
export function listeningPorts(sockets: Socket[]): Listening[] {
  const seen = new Map<string, Listening>();
  for (const socket of sockets.filter(isListening)) {
    const entry = { protocol: socket.protocol, address: socket.localAddress, port: socket.localPort };
    seen.set(`${entry.protocol} ${entry.address} ${entry.port}`, entry);
  }
  return [...seen.values()].sort(
    (a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0),
  );
}

/** Socket counts of the network section. */
export function socketCounts(sockets: Socket[]): z.output<typeof networkSchema>['counts'] {
  const tcp = sockets.filter((socket) => socket.protocol === 'tcp' || socket.protocol === 'tcp6');
  return {
    tcp: tcp.length,
    udp: sockets.length - tcp.length,
    tcpEstablished: tcp.filter((socket) => socket.state === 'ESTABLISHED').length,
    tcpListening: tcp.filter((socket) => socket.state === 'LISTEN').length,
  };
}
