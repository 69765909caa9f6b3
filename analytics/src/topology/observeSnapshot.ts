import type { z } from 'zod';
import { snapshotBodySchema, type SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import { isLocalOnly, normaliseAddress } from './address';
import { flowsFromRecords, mergeFlows, type FlowRecord } from './flowsFromRecords';
import type { DeviceObservation, FlowObservation, InterfaceObservation } from './types';

/** Flow-record sections a snapshot may carry (the capture's `traffic`, the kernel's `conntrack`), richest last. */
const FLOW_SECTIONS = ['traffic', 'conntrack'] as const;

/**
 * The parts of a snapshot body the topology reads (collection time, network, ARP, activity, and the flow-record
 * sections `traffic` and `conntrack` once the snapshot schema has them), validated with the snapshot's own schemas;
 * other sections pass through unread, so a body with sections added later still reads.
 *
 * @example
 * const body = topologySnapshotSchema.parse(message.body)
 */
export const topologySnapshotSchema = snapshotBodySchema
  .pick({
    collectedAt: true,
    network: true,
    arp: true,
    activity: true,
    ...Object.fromEntries(FLOW_SECTIONS.filter((name) => name in snapshotBodySchema.shape).map((name) => [name, true])),
  } as { collectedAt: true; network: true; arp: true; activity: true })
  .loose();

/** A section of flow records, as {@link FlowRecord}s (the `traffic` and `conntrack` snapshot sections). */
export type FlowRecordSection =
  | { available: true; value: { flows: readonly FlowRecord[] } }
  | { available: false; reason: string };

/** What {@link observeSnapshot} reads: those sections of a snapshot body. */
export type TopologySnapshot = Pick<SnapshotBody, 'collectedAt' | 'network' | 'arp' | 'activity'> & {
  traffic?: FlowRecordSection | undefined;
  conntrack?: FlowRecordSection | undefined;
};

type Network = Extract<SnapshotBody['network'], { available: true }>['value'];
type Socket = Network['sockets'][number];

/** TCP states of a connection that carries or carried traffic (not LISTEN, not a closed socket). */
const CONNECTED_TCP = new Set([
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'NEW_SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'CLOSING',
]);

/**
 * The flows a snapshot's sockets show: connected TCP sockets and connected UDP sockets to a remote host (not
 * loopback or unspecified). A socket whose local port is one the device listens on was opened by the remote
 * (`direction: 'in'`); others by the device. Sockets count no bytes: those fields are null.
 *
 * @example
 * flowsFromSockets(network, body.collectedAt)[0] // { protocol: 'tcp', remoteAddress: '203.0.113.10', remotePort: 8883, direction: 'out', … }
 */
export function flowsFromSockets(network: Network, collectedAt: string): FlowObservation[] {
  const listening = new Set(network.listening.map((entry) => `${entry.protocol.replace('6', '')}/${entry.port}`));
  const flows: FlowObservation[] = [];
  for (const socket of network.sockets) {
    const protocol = socket.protocol.replace('6', '');
    if (protocol === 'tcp' ? !CONNECTED_TCP.has(socket.state) : socket.state !== 'ESTABLISHED') continue;
    const remote = normaliseAddress(socket.remoteAddress);
    const local = normaliseAddress(socket.localAddress);
    if (remote === null || local === null || isLocalOnly(remote) || socket.remotePort === 0) continue;
    flows.push(
      socketFlow(socket, protocol, local, remote, listening.has(`${protocol}/${socket.localPort}`), collectedAt),
    );
  }
  return flows;
}

function socketFlow(
  socket: Socket,
  protocol: string,
  local: string,
  remote: string,
  inbound: boolean,
  collectedAt: string,
): FlowObservation {
  return {
    protocol,
    localAddress: local,
    localPort: socket.localPort,
    remoteAddress: remote,
    remotePort: socket.remotePort,
    direction: inbound ? 'in' : 'out',
    state: socket.state,
    bytesOut: null,
    bytesIn: null,
    packetsOut: null,
    packetsIn: null,
    lastSeen: collectedAt,
  };
}

/**
 * What one snapshot says about the device's network: its interfaces (addresses, counters, rates), routes, ARP
 * neighbours and flows. Flows come from the `conntrack` and `traffic` sections when present, `extraFlows` (any other
 * source), and the sockets, one observation per connection ({@link mergeFlows}, richest source first). A section the
 * device could not provide leaves its part empty and is named in `unavailable`.
 *
 * @example
 * const observation = observeSnapshot(deviceId, topologySnapshotSchema.parse(message.body))
 * observation.routes.find((route) => route.destination === '0.0.0.0/0')?.gateway // '10.0.0.1'
 */
export function observeSnapshot(
  deviceId: string,
  body: TopologySnapshot,
  extraFlows: readonly FlowObservation[] = [],
): DeviceObservation {
  const unavailable: string[] = [];
  const observation: DeviceObservation = {
    deviceId,
    collectedAt: body.collectedAt,
    interfaces: [],
    routes: [],
    neighbours: [],
    flows: [],
    unavailable,
  };
  const listening = new Set(
    body.network.available
      ? body.network.value.listening.map((entry) => `${entry.protocol.replace('6', '')}/${entry.port}`)
      : [],
  );
  // The richest source of a connection first: connection tracking, the capture, other records, then sockets.
  const flowSources: FlowObservation[][] = [];
  for (const name of [...FLOW_SECTIONS].reverse()) {
    const section = body[name];
    if (section === undefined) continue;
    if (section.available) flowSources.push(flowsFromRecords(section.value.flows, listening));
    else unavailable.push(`${name}: ${section.reason}`);
  }
  flowSources.push([...extraFlows]);
  const rates = new Map<string, { rxKBPerSec: number | null; txKBPerSec: number | null }>();
  if (body.activity.available) for (const rate of body.activity.value.network) rates.set(rate.interface, rate);
  if (body.network.available) {
    const network = body.network.value;
    observation.interfaces = network.interfaces
      .filter((entry) => entry.name !== 'lo')
      .map(
        (entry): InterfaceObservation => ({
          name: entry.name,
          mac: entry.mac === '00:00:00:00:00:00' ? null : entry.mac,
          addresses: entry.addresses.flatMap((address) => {
            const text = normaliseAddress(address.address);
            return text === null || isLocalOnly(text) ? [] : [{ address: text, cidr: address.cidr }];
          }),
          rxBytes: entry.statistics.rxBytes,
          txBytes: entry.statistics.txBytes,
          rxPackets: entry.statistics.rxPackets,
          txPackets: entry.statistics.txPackets,
          rxKBps: rates.get(entry.name)?.rxKBPerSec ?? null,
          txKBps: rates.get(entry.name)?.txKBPerSec ?? null,
        }),
      );
    observation.routes = network.routes.map((route) => ({
      destination: route.destination,
      gateway: route.gateway === null ? null : normaliseAddress(route.gateway),
      interface: route.interface,
      metric: route.metric,
    }));
    flowSources.push(flowsFromSockets(network, body.collectedAt));
  } else unavailable.push(`network: ${body.network.reason}`);
  if (body.arp.available) {
    for (const entry of body.arp.value) {
      const address = normaliseAddress(entry.ip);
      if (address === null || isLocalOnly(address)) continue;
      const mac = entry.kind === 'incomplete' || entry.mac === '00:00:00:00:00:00' ? null : entry.mac.toLowerCase();
      observation.neighbours.push({ address, mac, interface: entry.device, kind: entry.kind });
    }
  } else unavailable.push(`arp: ${body.arp.reason}`);
  observation.flows = mergeFlows(flowSources);
  return observation;
}

/** A snapshot body as the topology schema reads it. */
export type TopologySnapshotInput = z.input<typeof topologySnapshotSchema>;
