import { isLocalOnly, parsePrefix, type Prefix } from './address';
import type { DeviceObservation, LinkObservation, Topology, TopologyLink, TopologyNode } from './types';

/** A registered twin, with its chain state when known. */
export type TopologyTwin = { deviceId: string; state?: string | null };

/** Parameters of {@link buildTopology}. */
export type BuildTopologyParameters = {
  /** Snapshots' observations, any number per device, in any order: each observer's latest view of a link wins. */
  observations: readonly DeviceObservation[];
  /** Every registered twin: each is a node, with its state, even before its first snapshot. */
  twins?: readonly TopologyTwin[];
  /** `generatedAt` of the result (default: now). */
  generatedAt?: string;
};

const KIND_RANK: Record<TopologyNode['kind'], number> = { twin: 4, gateway: 3, peer: 2, outside: 1 };

/** What one observation's device knows of its own network: its subnets, routes and ARP cache. */
type DeviceContext = {
  subnets: Prefix[];
  routes: Array<{ prefix: Prefix; gateway: string | null; metric: number; interface: string; destination: string }>;
  arp: Map<string, string | null>;
};

function contextOf(observation: DeviceObservation): DeviceContext {
  const subnets: Prefix[] = [];
  for (const entry of observation.interfaces) {
    for (const address of entry.addresses) {
      const prefix = address.cidr === null ? null : parsePrefix(address.cidr);
      if (prefix !== null) subnets.push(prefix);
    }
  }
  const routes = observation.routes.flatMap((route) => {
    const prefix = parsePrefix(route.destination);
    return prefix === null ? [] : [{ ...route, prefix }];
  });
  const arp = new Map<string, string | null>();
  for (const entry of observation.neighbours) if (entry.kind !== 'incomplete') arp.set(entry.address, entry.mac);
  return { subnets, routes, arp };
}

/** The route a device would send `address` by: the longest matching prefix, then the lowest metric. */
function routeFor(context: DeviceContext, address: string) {
  let best: DeviceContext['routes'][number] | undefined;
  for (const route of context.routes) {
    if (!route.prefix.contains(address)) continue;
    if (
      best === undefined ||
      route.prefix.length > best.prefix.length ||
      (route.prefix.length === best.prefix.length && route.metric < best.metric)
    )
      best = route;
  }
  return best;
}

/** Code-unit order (IDs are ASCII; `localeCompare` would cost ICU collation per comparison). */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The later of two ISO times. */
const later = (a: string, b: string) => (a === b ? a : Date.parse(a) >= Date.parse(b) ? a : b);
const sum = (values: Array<number | null>) =>
  values.some((value) => value !== null) ? values.reduce<number>((total, value) => total + (value ?? 0), 0) : null;

/**
 * Builds the fleet's network graph from snapshot observations (seed 002's topology model): every twin; the
 * gateways of their routes; the hosts on their links (ARP, on-link flows) as peers; the hosts beyond (flows through
 * a gateway) as outside hosts. Links: `route` twin → gateway, `neighbour` from ARP, and `flow` client → server per
 * protocol and server port, with connections, bytes and packets (when the source counts them) and last-seen time.
 * An address names a twin when exactly one twin has it on an interface; a host's node carries its MAC when the
 * fleet saw exactly one for that address, so equal private addresses behind different routers stay apart.
 *
 * @example
 * const topology = buildTopology({ observations: snapshots.map((s) => observeSnapshot(s.deviceId, s.body)), twins })
 * topology.nodes.filter((node) => node.kind === 'gateway') // [{ id: 'host:10.0.0.1@02:00:5e:00:00:01', … }]
 */
export function buildTopology(parameters: BuildTopologyParameters): Topology {
  const observations = [...parameters.observations].sort(
    (a, b) => Date.parse(a.collectedAt) - Date.parse(b.collectedAt),
  );
  const nodes = new Map<string, TopologyNode>();
  const links = new Map<string, TopologyLink>();
  /** Which twins route through each node (a set: a fleet's one router serves thousands). */
  const gatewayFor = new Map<string, Set<string>>();

  // Which twin has which address, and which MACs the fleet saw for each address.
  const claimants = new Map<string, Set<string>>();
  const macs = new Map<string, Set<string>>();
  for (const observation of observations) {
    for (const entry of observation.interfaces) {
      for (const { address } of entry.addresses) {
        if (!claimants.has(address)) claimants.set(address, new Set());
        claimants.get(address)!.add(observation.deviceId);
      }
    }
    for (const neighbour of observation.neighbours) {
      if (neighbour.mac === null) continue;
      if (!macs.has(neighbour.address)) macs.set(neighbour.address, new Set());
      macs.get(neighbour.address)!.add(neighbour.mac);
    }
  }
  const twinAt = (address: string) => {
    const owners = claimants.get(address);
    return owners?.size === 1 ? [...owners][0]! : undefined;
  };

  const touch = (node: TopologyNode, at: string) => {
    node.lastSeen = node.lastSeen === null ? at : later(node.lastSeen, at);
  };
  const twinNode = (deviceId: string): TopologyNode => {
    let node = nodes.get(deviceId);
    if (node === undefined) {
      node = {
        id: deviceId,
        kind: 'twin',
        deviceId,
        state: null,
        addresses: [],
        mac: null,
        gatewayFor: [],
        lastSeen: null,
      };
      nodes.set(deviceId, node);
    }
    return node;
  };
  /** The node of `address` as `context`'s device sees it: a twin, or a host of at least kind `kind`. */
  const nodeAt = (address: string, context: DeviceContext, kind: TopologyNode['kind'], at: string): TopologyNode => {
    const twin = twinAt(address);
    if (twin !== undefined) return twinNode(twin);
    const known = macs.get(address);
    const mac = known?.size === 1 ? [...known][0]! : context.arp.get(address) ?? null;
    const id = mac === null ? `host:${address}` : `host:${address}@${mac}`;
    let node = nodes.get(id);
    if (node === undefined) {
      node = { id, kind, deviceId: null, state: null, addresses: [address], mac, gatewayFor: [], lastSeen: null };
      nodes.set(id, node);
    } else if (KIND_RANK[kind] > KIND_RANK[node.kind]) node.kind = kind;
    touch(node, at);
    return node;
  };
  const observe = (
    link: Omit<TopologyLink, 'lastSeen' | 'traffic' | 'observations'>,
    observation: LinkObservation,
    lastSeen: string,
  ) => {
    let current = links.get(link.id);
    if (current === undefined) {
      current = { ...link, lastSeen, traffic: { connections: 0, bytes: null, packets: null }, observations: [] };
      links.set(link.id, current);
    }
    const previous = current.observations.findIndex((entry) => entry.by === observation.by);
    if (previous < 0) current.observations.push(observation);
    else if (Date.parse(current.observations[previous]!.at) <= Date.parse(observation.at)) {
      current.observations[previous] = observation;
    }
    current.lastSeen = later(current.lastSeen, lastSeen);
  };

  for (const observation of observations) {
    const { deviceId, collectedAt: at } = observation;
    const context = contextOf(observation);
    const self = twinNode(deviceId);
    touch(self, at);
    self.addresses = observation.interfaces.flatMap((entry) => entry.addresses.map((address) => address.address));
    self.mac = observation.interfaces.find((entry) => entry.mac !== null && entry.addresses.length > 0)?.mac ?? null;
    const onLink = (address: string) =>
      context.arp.has(address) || context.subnets.some((net) => net.contains(address));

    // Flows, grouped per client, server, protocol and server port.
    const flowGroups = new Map<
      string,
      {
        client: string;
        server: string;
        protocol: string;
        port: number | null;
        via: string | null;
        flows: DeviceObservation['flows'];
      }
    >();
    const viaCounts = new Map<string, number>();
    const own = new Set(self.addresses);
    for (const flow of observation.flows) {
      const local = onLink(flow.remoteAddress);
      const remote = nodeAt(flow.remoteAddress, context, local ? 'peer' : 'outside', flow.lastSeen);
      // A flow whose local end is not this device's (connection tracking on a router): it forwards that flow.
      const forwarded = own.size > 0 && !own.has(flow.localAddress) && !isLocalOnly(flow.localAddress);
      const near = forwarded
        ? nodeAt(flow.localAddress, context, onLink(flow.localAddress) ? 'peer' : 'outside', flow.lastSeen).id
        : deviceId;
      if (remote.id === near) continue;
      const inbound = flow.direction === 'in';
      const client = inbound ? remote.id : near;
      const server = inbound ? near : remote.id;
      const port = inbound ? flow.localPort : flow.remotePort;
      const route = local || forwarded ? undefined : routeFor(context, flow.remoteAddress);
      const via = forwarded
        ? deviceId
        : route?.gateway == null
        ? null
        : nodeAt(route.gateway, context, 'gateway', at).id;
      if (via !== null) viaCounts.set(via, (viaCounts.get(via) ?? 0) + 1);
      const key = `${client}>${server}:${flow.protocol}/${port ?? '-'}`;
      const group = flowGroups.get(key) ?? { client, server, protocol: flow.protocol, port, via, flows: [] };
      group.flows.push(flow);
      flowGroups.set(key, group);
    }
    for (const [key, group] of flowGroups) {
      const lastSeen = group.flows.map((flow) => flow.lastSeen).reduce(later);
      observe(
        {
          id: `flow:${key}`,
          kind: 'flow',
          source: group.client,
          target: group.server,
          protocol: group.protocol,
          port: group.port,
        },
        {
          by: deviceId,
          at,
          interface: null,
          destinations: [],
          protocol: group.protocol,
          port: group.port,
          connections: group.flows.length,
          bytes: sum(group.flows.map((flow) => sum([flow.bytesOut, flow.bytesIn]))),
          packets: sum(group.flows.map((flow) => sum([flow.packetsOut, flow.packetsIn]))),
          via: group.via,
        },
        lastSeen,
      );
    }

    // Routes through a next hop: one link per gateway, with the destinations it serves.
    const gateways = new Map<string, { interface: string; destinations: string[] }>();
    for (const route of context.routes) {
      if (route.gateway === null) continue;
      const gateway = nodeAt(route.gateway, context, 'gateway', at);
      if (gateway.id === deviceId) continue;
      if (!gatewayFor.has(gateway.id)) gatewayFor.set(gateway.id, new Set());
      gatewayFor.get(gateway.id)!.add(deviceId);
      const entry = gateways.get(gateway.id) ?? { interface: route.interface, destinations: [] };
      entry.destinations.push(route.destination);
      gateways.set(gateway.id, entry);
    }
    for (const [gateway, entry] of gateways) {
      const counters = observation.interfaces.find((candidate) => candidate.name === entry.interface);
      observe(
        {
          id: `route:${deviceId}>${gateway}`,
          kind: 'route',
          source: deviceId,
          target: gateway,
          protocol: null,
          port: null,
        },
        {
          by: deviceId,
          at,
          interface: entry.interface,
          destinations: entry.destinations,
          protocol: null,
          port: null,
          connections: viaCounts.get(gateway) ?? 0,
          bytes: counters === undefined ? null : counters.rxBytes + counters.txBytes,
          packets: counters === undefined ? null : counters.rxPackets + counters.txPackets,
          via: null,
        },
        at,
      );
    }

    // ARP neighbours (resolved entries only).
    for (const neighbour of observation.neighbours) {
      if (neighbour.kind === 'incomplete') continue;
      const other = nodeAt(neighbour.address, context, 'peer', at);
      if (other.id === deviceId) continue;
      const [source, target] = deviceId < other.id ? [deviceId, other.id] : [other.id, deviceId];
      observe(
        { id: `neighbour:${source}|${target}`, kind: 'neighbour', source, target, protocol: null, port: null },
        {
          by: deviceId,
          at,
          interface: neighbour.interface,
          destinations: [],
          protocol: null,
          port: null,
          connections: 1,
          bytes: null,
          packets: null,
          via: null,
        },
        at,
      );
    }
  }

  for (const twin of parameters.twins ?? []) twinNode(twin.deviceId).state = twin.state ?? null;
  for (const [id, twins] of gatewayFor) nodes.get(id)!.gatewayFor = [...twins];
  for (const link of links.values()) link.traffic = summarise(link.observations);
  return {
    generatedAt: parameters.generatedAt ?? new Date().toISOString(),
    nodes: [...nodes.values()].sort((a, b) => KIND_RANK[b.kind] - KIND_RANK[a.kind] || compareText(a.id, b.id)),
    links: [...links.values()].sort((a, b) => compareText(a.id, b.id)),
  };
}

/**
 * A link's traffic from its observations: each field the largest any observer reported (the two ends of a flow
 * see the same connections), null when none counted it.
 *
 * @example
 * summarise(link.observations) // { connections: 3, bytes: null, packets: null }
 */
export function summarise(observations: readonly LinkObservation[]): TopologyLink['traffic'] {
  const largest = (values: Array<number | null>) =>
    values.reduce<number | null>(
      (best, value) => (value === null ? best : best === null ? value : Math.max(best, value)),
      null,
    );
  return {
    connections: Math.max(0, ...observations.map((entry) => entry.connections)),
    bytes: largest(observations.map((entry) => entry.bytes)),
    packets: largest(observations.map((entry) => entry.packets)),
  };
}
