/**
 * The network model (seed 002's basic topology model): what each device saw of its network in a snapshot
 * ({@link DeviceObservation}), and the fleet-wide graph built from many of them ({@link Topology}).
 */

/** One connection or flow record a device saw. Today the snapshot's sockets; richer records plug in unchanged. */
export type FlowObservation = {
  /** `tcp`, `udp`, `icmp`… (IPv6 sockets as `tcp`/`udp`: the family is in the addresses). */
  protocol: string;
  localAddress: string;
  /** null where the protocol has none (ICMP). */
  localPort: number | null;
  remoteAddress: string;
  remotePort: number | null;
  /** `out`: this device opened it; `in`: the remote opened it (to a port this device listens on); null: unknown. */
  direction: 'out' | 'in' | null;
  /** The connection state when known (`ESTABLISHED`, `TIME_WAIT`…). */
  state: string | null;
  /** Bytes and packets this device sent and received on it; null when the source does not count them (sockets). */
  bytesOut: number | null;
  bytesIn: number | null;
  packetsOut: number | null;
  packetsIn: number | null;
  /** When it was last active (ISO 8601); the snapshot's collection time when the source has no own time. */
  lastSeen: string;
};

/** An interface of a device with its addresses and traffic counters. */
export type InterfaceObservation = {
  name: string;
  mac: string | null;
  addresses: Array<{ address: string; cidr: string | null }>;
  /** Counters since boot. */
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** sar-style rates over the snapshot's interval, KB/s; null on the first snapshot or without the activity probe. */
  rxKBps: number | null;
  txKBps: number | null;
};

/** A route of a device: direct (`gateway` null) or through a next hop. */
export type RouteObservation = {
  destination: string;
  gateway: string | null;
  interface: string;
  metric: number;
};

/** An ARP/neighbour entry of a device. */
export type NeighbourObservation = {
  address: string;
  mac: string | null;
  interface: string;
  kind: 'static' | 'dynamic' | 'incomplete';
};

/** What one snapshot of one device says about its network. */
export type DeviceObservation = {
  deviceId: string;
  collectedAt: string;
  interfaces: InterfaceObservation[];
  routes: RouteObservation[];
  neighbours: NeighbourObservation[];
  flows: FlowObservation[];
  /** Sections the device could not provide, with the reason (`network: …`, `arp: …`). */
  unavailable: string[];
};

/**
 * A node of the graph: a `twin` (a registered device), a `gateway` (a next hop of some twin's route), a `peer` (a
 * host on a twin's own link) or an `outside` host (reached through a gateway). A twin that other twins route
 * through is still a `twin`, with `gatewayFor` naming them.
 */
export type TopologyNode = {
  /** A twin's DeviceID; a host's `host:<address>`, or `host:<address>@<mac>` when its MAC is known. */
  id: string;
  kind: 'twin' | 'gateway' | 'peer' | 'outside';
  /** The DeviceID for twins, else null. */
  deviceId: string | null;
  /** The twin's chain state (`active`, `suspended`…) when known, else null. */
  state: string | null;
  addresses: string[];
  mac: string | null;
  /** Twins whose route goes through this node. */
  gatewayFor: string[];
  /** The latest snapshot that showed this node (ISO 8601); null for a twin with no snapshot yet. */
  lastSeen: string | null;
};

/** What one device's snapshot says about a link. */
export type LinkObservation = {
  /** The DeviceID whose snapshot showed it. */
  by: string;
  at: string;
  /** route and neighbour links: the interface; flow links: null. */
  interface: string | null;
  /** route links: the route destinations through this gateway (`0.0.0.0/0`…). */
  destinations: string[];
  /** flow links: the protocol and the server's port. */
  protocol: string | null;
  port: number | null;
  /** flow links: connections counted; route links: the flows through this gateway; neighbour links: 1. */
  connections: number;
  /**
   * Bytes and packets: flow links, what the flow records count (null from sockets, which count none); route links,
   * the interface's counters since boot (rx + tx).
   */
  bytes: number | null;
  packets: number | null;
  /** flow links leaving the device's own link: the gateway node it leaves through; else null. */
  via: string | null;
};

/**
 * A link: `route` (twin → its gateway), `neighbour` (two nodes on one link, from ARP; source < target) or `flow`
 * (client → server, per protocol and server port). `observations` keeps each observer's latest view; `traffic`
 * and `lastSeen` summarise them (each field the largest an observer reported: two ends see the same flow).
 */
export type TopologyLink = {
  id: string;
  kind: 'route' | 'neighbour' | 'flow';
  source: string;
  target: string;
  protocol: string | null;
  port: number | null;
  lastSeen: string;
  traffic: { connections: number; bytes: number | null; packets: number | null };
  observations: LinkObservation[];
};

/** The fleet's network graph. */
export type Topology = {
  generatedAt: string;
  nodes: TopologyNode[];
  links: TopologyLink[];
};
