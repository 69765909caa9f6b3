import * as os from 'node:os';
import type { z } from 'zod';
import type { networkInterfaceSchema, networkSchema } from '../../../twin-core/src/messages/snapshot';
import type { CollectOptions } from './context';
import { parseNetDev, type NetDevCounters } from './netdev';
import { join, listDirectory, readAttribute, readOptional } from './read';
import { parseIpv4Routes, parseIpv6Routes } from './routes';
import { isListening, listeningPorts, parseSockets, socketCounts, type Socket, type SocketProtocol } from './sockets';

/** One network interface of the snapshot. */
export type NetworkInterface = z.output<typeof networkInterfaceSchema>;
/** The network section of the snapshot. */
export type Network = z.output<typeof networkSchema>;

/** The addresses node reports for one interface, in the snapshot's form. */
export function interfaceAddresses(infos: os.NetworkInterfaceInfo[] | undefined): NetworkInterface['addresses'] {
  return (infos ?? []).map((info) => {
    // Node 18.0–18.3 reported the family as a number.
    const family = (info.family as string | number) === 6 || info.family === 'IPv6' ? 'IPv6' : 'IPv4';
    return {
      family,
      address: info.address.slice(0, 64),
      cidr: info.cidr?.slice(0, 68) ?? null,
      broadcast: family === 'IPv4' ? ipv4Broadcast(info.address, info.netmask) : null,
    };
  });
}

/**
 * The IPv4 broadcast address of an address and its netmask (seed 001 IV.4): the host bits all ones; null for a /31
 * or /32 (point-to-point: no broadcast) or an unreadable pair.
 *
 * @example
 * ipv4Broadcast('192.168.1.40', '255.255.255.0') // '192.168.1.255'
 */
export function ipv4Broadcast(address: string, netmask: string): string | null {
  const parse = (text: string) => {
    const parts = text.split('.').map(Number);
    return parts.length === 4 && parts.every((part) => Number.isInteger(part) && part >= 0 && part <= 255) ? parts : null;
  };
  const ip = parse(address);
  const mask = parse(netmask);
  if (!ip || !mask) return null;
  const ones = mask.reduce((bits, part) => bits + part.toString(2).replace(/0/g, '').length, 0);
  if (32 - ones <= 1) return null;
  return ip.map((part, index) => (part | (~mask[index]! & 0xff)) & 0xff).join('.');
}

const STATISTICS = [
  'rx_bytes',
  'rx_packets',
  'rx_errors',
  'rx_dropped',
  'tx_bytes',
  'tx_packets',
  'tx_errors',
  'tx_dropped',
];

/** An interface's counters from /sys/class/net/<name>/statistics, for one /proc/net/dev does not list. */
async function sysfsStatistics(directory: string): Promise<NetworkInterface['statistics']> {
  const values = await Promise.all(STATISTICS.map((file) => readAttribute(join(directory, 'statistics', file))));
  const [rxBytes, rxPackets, rxErrors, rxDropped, txBytes, txPackets, txErrors, txDropped] = values.map((value) =>
    value === null ? 0 : Number(value),
  ) as [number, number, number, number, number, number, number, number];
  return { rxBytes, rxPackets, rxErrors, rxDropped, txBytes, txPackets, txErrors, txDropped };
}

/** The counters of one /proc/net/dev row in the snapshot's form. */
function statistics(row: NetDevCounters): NetworkInterface['statistics'] {
  const { name: _name, ...counters } = row;
  return counters;
}

/**
 * Interfaces: /sys/class/net/<name>/{address,mtu,operstate,speed}, counters from /proc/net/dev (the same kernel
 * counters as /sys/class/net/<name>/statistics, in one read; sysfs when net/dev lacks the interface) and
 * addresses from os.networkInterfaces().
 */
export async function readInterfaces(options: CollectOptions): Promise<NetworkInterface[]> {
  const root = join(options.paths.sys, 'class', 'net');
  const [names, netdev] = await Promise.all([
    listDirectory(root),
    readOptional(join(options.paths.proc, 'net', 'dev')),
  ]);
  const counters = new Map((netdev === null ? [] : parseNetDev(netdev)).map((row) => [row.name, row]));
  const addresses = (options.host?.networkInterfaces ?? os.networkInterfaces)();
  return Promise.all(
    names.map(async (name) => {
      const directory = join(root, name);
      const [mac, mtu, operState, speed] = await Promise.all(
        ['address', 'mtu', 'operstate', 'speed'].map((file) => readAttribute(join(directory, file))),
      );
      const row = counters.get(name);
      const speedMbps = speed === null ? NaN : Number(speed);
      return {
        name: name.slice(0, 32),
        mac: mac !== null && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac) ? mac.toLowerCase() : null,
        mtu: mtu === null ? null : Number(mtu),
        operState: operState?.slice(0, 16) ?? null,
        speedMbps: Number.isInteger(speedMbps) && speedMbps > 0 ? speedMbps : null,
        addresses: interfaceAddresses(addresses[name]),
        statistics: row ? statistics(row) : await sysfsStatistics(directory),
      };
    }),
  );
}

/** Rank for keeping sockets when there are more than the limit: listening, then established, then the rest. */
function socketRank(socket: Socket): number {
  if (isListening(socket)) return 0;
  return socket.state === 'ESTABLISHED' ? 1 : 2;
}

/**
 * Network probe (seed 001 IV.11): interfaces with their statistics, the IPv4 and IPv6 routing tables
 * (/proc/net/route, /proc/net/ipv6_route), TCP and UDP sockets (/proc/net/{tcp,tcp6,udp,udp6}) cut at
 * `options.socketLimit` (listening and established kept first), every listening port and the socket counts.
 */
export async function readNetwork(options: CollectOptions): Promise<Network> {
  const net = join(options.paths.proc, 'net');
  const protocols: SocketProtocol[] = ['tcp', 'tcp6', 'udp', 'udp6'];
  const [interfaces, route4, route6, ...socketTexts] = await Promise.all([
    readInterfaces(options),
    readOptional(join(net, 'route')),
    readOptional(join(net, 'ipv6_route')),
    ...protocols.map((protocol) => readOptional(join(net, protocol))),
  ]);
  const sockets = protocols.flatMap((protocol, index) => {
    const text = socketTexts[index];
    return text === null || text === undefined ? [] : parseSockets(protocol, text);
  });
  const kept = sockets
    .map((socket, index) => ({ socket, index }))
    .sort((a, b) => socketRank(a.socket) - socketRank(b.socket) || a.index - b.index)
    .slice(0, options.socketLimit)
    .map(({ socket }) => socket);
  return {
    interfaces,
    routes: [...(route4 === null ? [] : parseIpv4Routes(route4)), ...(route6 === null ? [] : parseIpv6Routes(route6))],
    sockets: kept,
    socketsTruncated: sockets.length > kept.length,
    listening: listeningPorts(sockets),
    counts: socketCounts(sockets),
  };
}
