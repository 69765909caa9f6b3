import { compareText } from './buildTopology';
import { TopologyQueryError } from './errors';
import type { Topology } from './types';

/** A twin that loses one or more of its gateways. */
export type LostGateway = {
  deviceId: string;
  /** Its gateways that stop forwarding: isolated twins, or twins themselves cut off upstream. */
  gateways: string[];
  /** Whether another of its gateways still forwards (false: it is cut off from everything beyond its link). */
  routeLeft: boolean;
};

/** A flow that stops, and why. */
export type StoppedFlow = {
  linkId: string;
  source: string;
  target: string;
  protocol: string | null;
  port: number | null;
  /** `endpoint-isolated`: one end is isolated; `gateway-lost`: the gateway it leaves through stops forwarding. */
  reason: 'endpoint-isolated' | 'gateway-lost';
  /** The gateway it went through (for `gateway-lost`: the one lost), else null. */
  via: string | null;
  connections: number;
  /** The twins whose snapshots showed it. */
  observedBy: string[];
};

/** What {@link whatIf} answers. */
export type WhatIfResult = {
  isolated: string[];
  lostGateway: LostGateway[];
  /** Twins (not isolated) whose ARP neighbours or flow counterparts include an isolated twin. */
  lostPeers: Array<{ deviceId: string; peers: string[] }>;
  stoppedFlows: StoppedFlow[];
  summary: { twinsAffected: number; flowsStopped: number; flows: number };
};

/**
 * Seed 002's what-if on the topology: if the twins `isolate` are suspended or cut off the network, which other
 * twins lose a gateway (directly, or because their gateway's own uplink runs through an isolated twin), which lose
 * peers, and which flows stop. Throws {@link TopologyQueryError} naming IDs that are no twin of the graph.
 *
 * @example
 * const result = whatIf(topology, [gatewayTwin])
 * result.lostGateway // [{ deviceId: sensor, gateways: [gatewayTwin], routeLeft: false }]
 */
export function whatIf(topology: Topology, isolate: readonly string[]): WhatIfResult {
  const twins = new Set(topology.nodes.filter((node) => node.kind === 'twin').map((node) => node.id));
  const unknown = isolate.filter((id) => !twins.has(id));
  if (unknown.length > 0) {
    throw new TopologyQueryError('No such twin in the topology.', { details: unknown.join(', '), unknown });
  }
  const isolated = new Set(isolate);
  const gatewaysOf = new Map<string, string[]>();
  for (const link of topology.links) {
    if (link.kind === 'route') gatewaysOf.set(link.source, [...(gatewaysOf.get(link.source) ?? []), link.target]);
  }

  // A node stops forwarding when it is isolated, or is a twin all of whose own gateways stop forwarding.
  const cutMemo = new Map<string, boolean>();
  const upstreamCut = (twin: string, visiting: Set<string>): boolean => {
    const gateways = gatewaysOf.get(twin) ?? [];
    return gateways.length > 0 && gateways.every((gateway) => isCut(gateway, visiting));
  };
  const isCut = (node: string, visiting = new Set<string>()): boolean => {
    if (isolated.has(node)) return true;
    if (!twins.has(node)) return false;
    const known = cutMemo.get(node);
    if (known !== undefined) return known;
    if (visiting.has(node)) return true; // a loop of gateways leads nowhere
    visiting.add(node);
    const cut = upstreamCut(node, visiting);
    visiting.delete(node);
    cutMemo.set(node, cut);
    return cut;
  };

  const lostGateway: LostGateway[] = [];
  for (const [twin, gateways] of gatewaysOf) {
    if (isolated.has(twin)) continue;
    const lost = gateways.filter((gateway) => isCut(gateway));
    if (lost.length > 0) lostGateway.push({ deviceId: twin, gateways: lost, routeLeft: lost.length < gateways.length });
  }

  const peers = new Map<string, Set<string>>();
  const addPeer = (twin: string, peer: string) => {
    if (!twins.has(twin) || isolated.has(twin)) return;
    if (!peers.has(twin)) peers.set(twin, new Set());
    peers.get(twin)!.add(peer);
  };
  const stoppedFlows: StoppedFlow[] = [];
  let flows = 0;
  for (const link of topology.links) {
    if (link.kind === 'route') continue;
    if (isolated.has(link.target)) addPeer(link.source, link.target);
    if (isolated.has(link.source)) addPeer(link.target, link.source);
    if (link.kind !== 'flow') continue;
    flows++;
    const base = {
      linkId: link.id,
      source: link.source,
      target: link.target,
      protocol: link.protocol,
      port: link.port,
      connections: link.traffic.connections,
      observedBy: link.observations.map((entry) => entry.by),
    };
    if (isolated.has(link.source) || isolated.has(link.target)) {
      stoppedFlows.push({ ...base, reason: 'endpoint-isolated', via: null });
      continue;
    }
    for (const observation of link.observations) {
      if (observation.via === null) continue;
      const far = observation.by === link.source ? link.target : link.source;
      const lost = isCut(observation.via) ? observation.via : twins.has(far) && isCut(far) ? far : null;
      if (lost !== null) {
        stoppedFlows.push({ ...base, reason: 'gateway-lost', via: lost });
        break;
      }
    }
  }
  const lostPeers = [...peers].map(([deviceId, set]) => ({ deviceId, peers: [...set].sort() }));
  lostPeers.sort((a, b) => compareText(a.deviceId, b.deviceId));
  lostGateway.sort((a, b) => compareText(a.deviceId, b.deviceId));
  const affected = new Set([
    ...lostGateway.map((entry) => entry.deviceId),
    ...lostPeers.map((entry) => entry.deviceId),
  ]);
  return {
    isolated: [...isolated],
    lostGateway,
    lostPeers,
    stoppedFlows,
    summary: { twinsAffected: affected.size, flowsStopped: stoppedFlows.length, flows },
  };
}
