/**
 * The network section of a virtual device's snapshot: interfaces, routes, sockets and listening ports. Connection
 * floods and beacons leave traces here: a new listening port, hundreds of established sockets, a socket to an
 * unknown remote.
 */
import type { z } from 'zod';
import type { networkSchema } from '../../../twin-core/src/messages/snapshot';
import { NORMAL_PEERS } from './processCatalog';
import { round, uptimeSeconds, type SnapshotContext } from './context';

type Network = z.output<typeof networkSchema>;
type Socket = Network['sockets'][number];
type Listening = Network['listening'][number];

/** Sockets kept in a snapshot; the counts cover all of them. */
export const SOCKET_LIMIT = 128;

/** The default gateway of every virtual device's network. */
export const GATEWAY = '10.0.0.1';

/** The EUI-64 link-local IPv6 address of a MAC. */
function linkLocal(mac: string): string {
  const bytes = mac.split(':').map((octet) => Number.parseInt(octet, 16));
  bytes[0] = bytes[0]! ^ 0x02;
  const words = [
    (bytes[0]! << 8) | bytes[1]!,
    (bytes[2]! << 8) | 0xff,
    (0xfe << 8) | bytes[3]!,
    (bytes[4]! << 8) | bytes[5]!,
  ];
  return `fe80::${words.map((word) => word.toString(16)).join(':')}`;
}

/** The ports a device of this role listens on normally, with the uid of the listener. */
function normalListeners(context: SnapshotContext): Array<Listening & { uid: number }> {
  const listeners: Array<Listening & { uid: number }> = [
    { protocol: 'tcp', address: '0.0.0.0', port: 22, uid: 0 },
    { protocol: 'tcp6', address: '::', port: 22, uid: 0 },
    { protocol: 'udp', address: '0.0.0.0', port: 5353, uid: 108 },
    { protocol: 'udp6', address: '::', port: 5353, uid: 108 },
    { protocol: 'udp', address: '0.0.0.0', port: 68, uid: 0 },
  ];
  const role = context.device.profile.role.name;
  if (role === 'gateway') {
    listeners.push({ protocol: 'tcp', address: '0.0.0.0', port: 1883, uid: 110 });
    listeners.push({ protocol: 'tcp', address: '0.0.0.0', port: 8883, uid: 110 });
  }
  if (role === 'environment') listeners.push({ protocol: 'tcp', address: '0.0.0.0', port: 1880, uid: 1001 });
  return listeners;
}

/**
 * The snapshot's `network` section.
 *
 * @example
 * buildNetwork(context).listening // [{ protocol: 'tcp', address: '0.0.0.0', port: 22 }, …]
 */
export function buildNetwork(context: SnapshotContext): Network {
  const { device, episode, network, counters, rng } = context;
  const { profile, identity } = device;
  const uptime = uptimeSeconds(context);
  const listeners = normalListeners(context);
  const sockets: Socket[] = [];
  let inode = 14_000 + (device.index % 977) * 13;
  const ephemeral = () => rng.int(32_768, 60_999);
  for (const listener of listeners) {
    sockets.push({
      protocol: listener.protocol,
      localAddress: listener.address,
      localPort: listener.port,
      remoteAddress: listener.protocol.endsWith('6') ? '::' : '0.0.0.0',
      remotePort: 0,
      state: listener.protocol.startsWith('tcp') ? 'LISTEN' : 'UNCONN',
      uid: listener.uid,
      inode: inode++,
    });
  }
  const p = episode?.params;
  if (episode?.behaviour === 'connection-flood') {
    listeners.push({ protocol: 'tcp', address: '0.0.0.0', port: p!.roguePort, uid: 1000 });
    sockets.push({
      protocol: 'tcp',
      localAddress: '0.0.0.0',
      localPort: p!.roguePort,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      state: 'LISTEN',
      uid: 1000,
      inode: inode++,
    });
  }
  if (episode?.behaviour === 'beaconing') {
    listeners.push({ protocol: 'udp', address: '0.0.0.0', port: p!.roguePort, uid: 1000 });
    sockets.push({
      protocol: 'udp',
      localAddress: '0.0.0.0',
      localPort: p!.roguePort,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      state: 'UNCONN',
      uid: 1000,
      inode: inode++,
    });
    sockets.push({
      protocol: 'tcp',
      localAddress: profile.ipv4,
      localPort: ephemeral(),
      remoteAddress: p!.rogueAddress,
      remotePort: p!.roguePort,
      state: 'ESTABLISHED',
      uid: 1000,
      inode: inode++,
    });
  }
  const established = network.establishedConnections;
  /** The beacon's own socket is one of the established connections. */
  const listed = episode?.behaviour === 'beaconing' ? Math.max(0, established - 1) : established;
  const tcpListening = listeners.filter((listener) => listener.protocol.startsWith('tcp')).length;
  const udpCount = listeners.length - tcpListening;
  const timeWait = rng.int(0, 3);
  const fixedSockets = sockets.length;
  for (let index = 0; sockets.length < SOCKET_LIMIT && index < listed + timeWait; index++) {
    const waiting = index >= listed;
    if (episode?.behaviour === 'connection-flood' && index > 0 && !waiting) {
      const remote = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
      sockets.push({
        protocol: 'tcp',
        localAddress: profile.ipv4,
        localPort: p!.roguePort,
        remoteAddress: remote,
        remotePort: ephemeral(),
        state: rng.chance(0.2) ? 'SYN_RECV' : 'ESTABLISHED',
        uid: 1000,
        inode: inode++,
      });
      continue;
    }
    const peer = index === 0 ? NORMAL_PEERS[0]! : rng.pick(NORMAL_PEERS);
    sockets.push({
      protocol: 'tcp',
      localAddress: profile.ipv4,
      localPort: ephemeral(),
      remoteAddress: peer.address,
      remotePort: peer.port,
      state: waiting ? 'TIME_WAIT' : 'ESTABLISHED',
      uid: index === 0 ? 999 : 1000,
      inode: waiting ? 0 : inode++,
    });
  }
  const mac = identity.macAddress;
  const drops = (value: number, rate: number) => Math.floor(value * rate);
  return {
    interfaces: [
      {
        name: 'lo',
        mac: '00:00:00:00:00:00',
        mtu: 65_536,
        operState: 'unknown',
        speedMbps: null,
        addresses: [
          { family: 'IPv4', address: '127.0.0.1', cidr: '127.0.0.1/8' },
          { family: 'IPv6', address: '::1', cidr: '::1/128' },
        ],
        statistics: {
          rxBytes: Math.floor(uptime * 310),
          rxPackets: Math.floor(uptime * 2.1),
          rxErrors: 0,
          rxDropped: 0,
          txBytes: Math.floor(uptime * 310),
          txPackets: Math.floor(uptime * 2.1),
          txErrors: 0,
          txDropped: 0,
        },
      },
      {
        name: profile.interfaceName,
        mac,
        mtu: 1500,
        operState: 'up',
        speedMbps: profile.interfaceName === 'eth0' ? 1000 : null,
        addresses: [
          { family: 'IPv4', address: profile.ipv4, cidr: `${profile.ipv4}/8` },
          { family: 'IPv6', address: linkLocal(mac), cidr: `${linkLocal(mac)}/64` },
        ],
        statistics: {
          rxBytes: Math.floor(counters.rxBytes),
          rxPackets: Math.floor(counters.rxPackets),
          rxErrors: drops(counters.rxPackets, 1e-6),
          rxDropped: drops(counters.rxPackets, 2e-5),
          txBytes: Math.floor(counters.txBytes),
          txPackets: Math.floor(counters.txPackets),
          txErrors: 0,
          txDropped: drops(counters.txPackets, 1e-6),
        },
      },
    ],
    routes: [
      {
        family: 'IPv4',
        destination: '0.0.0.0/0',
        gateway: GATEWAY,
        interface: profile.interfaceName,
        metric: profile.interfaceName === 'eth0' ? 202 : 303,
        flags: 'UG',
      },
      {
        family: 'IPv4',
        destination: '10.0.0.0/8',
        gateway: null,
        interface: profile.interfaceName,
        metric: profile.interfaceName === 'eth0' ? 202 : 303,
        flags: 'U',
      },
      {
        family: 'IPv6',
        destination: 'fe80::/64',
        gateway: null,
        interface: profile.interfaceName,
        metric: 256,
        flags: 'U',
      },
    ],
    sockets,
    socketsTruncated: fixedSockets + listed + timeWait > sockets.length,
    listening: listeners.map(({ protocol, address, port }) => ({ protocol, address, port })),
    counts: { tcp: tcpListening + established + timeWait, udp: udpCount, tcpEstablished: established, tcpListening },
  };
}

/**
 * The sar-style interface rates (loopback and the primary interface) from the interval's network behaviour.
 *
 * @example
 * interfaceRates(context)[1] // { interface: 'eth0', rxPacketsPerSec: 12, … }
 */
export function interfaceRates(context: SnapshotContext) {
  const { network, device } = context;
  return [
    { interface: 'lo', rxPacketsPerSec: 2.1, txPacketsPerSec: 2.1, rxKBPerSec: 0.3, txKBPerSec: 0.3 },
    {
      interface: device.profile.interfaceName,
      rxPacketsPerSec: network.packetsInPerSec,
      txPacketsPerSec: network.packetsOutPerSec,
      rxKBPerSec: round(network.bytesInPerSec / 1024, 2),
      txKBPerSec: round(network.bytesOutPerSec / 1024, 2),
    },
  ];
}
