import { expect } from 'chai';
import { createSimulation } from '../../agent/src/simulate/createSimulation';
import {
  buildTopology,
  flowsFromRecords,
  flowsFromSockets,
  mergeFlows,
  normaliseAddress,
  parsePrefix,
  observeSnapshot,
  redactTopology,
  redactWhatIf,
  topologyAround,
  topologySnapshotSchema,
  TopologyQueryError,
  whatIf,
  type DeviceObservation,
  type FlowObservation,
  type Topology,
} from '../../analytics/src';
import type { SnapshotBody } from '../../twin-core/src/messages/snapshot';
import { START_MS } from './helpers';

type Network = Extract<SnapshotBody['network'], { available: true }>['value'];

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:30.000Z';
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const G = id(1);
const S1 = id(2);
const S2 = id(3);
const H = id(4);

function flow(remoteAddress: string, remotePort: number, extra: Partial<FlowObservation> = {}): FlowObservation {
  return {
    protocol: 'tcp',
    localAddress: '0.0.0.0',
    localPort: 40_000,
    remoteAddress,
    remotePort,
    direction: 'out',
    state: 'ESTABLISHED',
    bytesOut: null,
    bytesIn: null,
    packetsOut: null,
    packetsIn: null,
    lastSeen: extra.lastSeen ?? T0,
    ...extra,
  };
}

/** A device with one interface `eth0` at `cidr`, routes, ARP entries (address → MAC) and flows. */
function device(
  deviceId: string,
  cidr: string,
  options: {
    at?: string;
    gateway?: string;
    routes?: Array<{ destination: string; gateway: string | null }>;
    arp?: Record<string, string>;
    flows?: FlowObservation[];
    mac?: string;
  } = {},
): DeviceObservation {
  const [address, length] = cidr.split('/') as [string, string];
  const network = `${address.split('.').slice(0, 3).join('.')}.0/${length}`;
  return {
    deviceId,
    collectedAt: options.at ?? T0,
    interfaces: [
      {
        name: 'eth0',
        mac: options.mac ?? `02:00:00:00:00:${deviceId.slice(-2)}`,
        addresses: [{ address, cidr }],
        rxBytes: 1000,
        txBytes: 500,
        rxPackets: 10,
        txPackets: 5,
        rxKBps: null,
        txKBps: null,
      },
    ],
    routes: [
      { destination: network, gateway: null, interface: 'eth0', metric: 100 },
      ...(options.gateway
        ? [{ destination: '0.0.0.0/0', gateway: options.gateway, interface: 'eth0', metric: 100 }]
        : []),
      ...(options.routes ?? []).map((route) => ({ ...route, interface: 'eth0', metric: 100 })),
    ],
    neighbours: Object.entries(options.arp ?? {}).map(([ip, mac]) => ({
      address: ip,
      mac,
      interface: 'eth0',
      kind: 'dynamic' as const,
    })),
    flows: options.flows ?? [],
    unavailable: [],
  };
}

/**
 * G (10.1.0.1) is a gateway twin with its own upstream router 192.168.0.1; S1 and S2 (10.1.0.2, .3) route through
 * G; S1 talks to S2 on the link and to 8.8.8.8 beyond; H sits behind S2 (10.2.0.0/24, default via S2's 10.2.0.1).
 */
function fleet(): DeviceObservation[] {
  const g = device(G, '10.1.0.1/24', {
    gateway: '192.168.0.1',
    arp: { '10.1.0.2': '02:00:00:00:00:02', '192.168.0.1': 'aa:aa:aa:aa:aa:01' },
  });
  g.interfaces.push({
    ...g.interfaces[0]!,
    name: 'wan0',
    mac: '02:00:00:00:01:01',
    addresses: [{ address: '192.168.0.7', cidr: '192.168.0.7/24' }],
  });
  g.routes[1]!.interface = 'wan0';
  const s2 = device(S2, '10.1.0.3/24', {
    gateway: '10.1.0.1',
    arp: { '10.1.0.1': '02:00:00:00:00:01', '10.1.0.2': '02:00:00:00:00:02' },
    flows: [flow('10.1.0.2', 50_123, { direction: 'in', localPort: 1883, remotePort: 50_123 })],
  });
  s2.interfaces.push({
    ...s2.interfaces[0]!,
    name: 'eth1',
    mac: '02:00:00:00:02:03',
    addresses: [{ address: '10.2.0.1', cidr: '10.2.0.1/24' }],
  });
  return [
    g,
    device(S1, '10.1.0.2/24', {
      gateway: '10.1.0.1',
      arp: { '10.1.0.1': '02:00:00:00:00:01', '10.1.0.3': '02:00:00:00:00:03' },
      flows: [
        flow('10.1.0.3', 1883),
        flow('8.8.8.8', 53, { protocol: 'udp', bytesOut: 120, bytesIn: 300, packetsOut: 2, packetsIn: 2 }),
        flow('8.8.8.8', 53, { protocol: 'udp', bytesOut: 60, bytesIn: 150, packetsOut: 1, packetsIn: 1 }),
      ],
    }),
    s2,
    device(H, '10.2.0.9/24', { gateway: '10.2.0.1', flows: [flow('203.0.113.5', 443)] }),
  ];
}

const nodeOf = (topology: Topology, nodeId: string) => topology.nodes.find((node) => node.id === nodeId);
const linkOf = (topology: Topology, linkId: string) => topology.links.find((link) => link.id === linkId);

describe('analytics: the network topology (seed 002)', function () {
  describe('addresses and prefixes', function () {
    it('normalises IPv4-mapped and zoned addresses, and refuses what is no address', function () {
      expect(normaliseAddress('::FFFF:10.0.0.5')).to.equal('10.0.0.5');
      expect(normaliseAddress('FE80::1%eth0')).to.equal('fe80::1');
      expect(normaliseAddress('10.0.0.256')).to.equal(null);
      expect(normaliseAddress('gateway')).to.equal(null);
    });

    it('matches IPv4 and IPv6 prefixes by their bits, and refuses malformed ones', function () {
      const cases: Array<[string, string, boolean]> = [
        ['10.0.0.16/8', '10.1.2.3', true],
        ['10.0.0.16/8', '11.0.0.1', false],
        ['0.0.0.0/0', '8.8.8.8', true],
        ['192.168.1.0/24', '192.168.1.255', true],
        ['192.168.1.0/24', '192.168.2.1', false],
        ['10.201.1.2/32', '10.201.1.2', true],
        ['fe80::/64', 'fe80::3b:2fff:fe00:0', true],
        ['fe80::/64', 'fe81::1', false],
        ['::/0', '2001:db8::1', true],
        ['2001:db8::/32', '2001:db8:ffff::1', true],
        ['2001:db8::/32', '2001:db9::1', false],
        ['10.0.0.0/8', 'fe80::1', false],
      ];
      for (const [prefix, address, inside] of cases) {
        expect(parsePrefix(prefix)!.contains(address), `${address} in ${prefix}`).to.equal(inside);
      }
      for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0', '10.0.0.0/-1', 'fe80::/129']) {
        expect(parsePrefix(bad), bad).to.equal(null);
      }
    });
  });

  describe('observeSnapshot and flowsFromSockets', function () {
    const network = (sockets: Network['sockets'], listening: Network['listening'] = []): Network => ({
      interfaces: [],
      routes: [],
      sockets,
      socketsTruncated: false,
      listening,
      counts: { tcp: 0, udp: 0, tcpEstablished: 0, tcpListening: 0 },
    });
    const socket = (overrides: Partial<Network['sockets'][number]>): Network['sockets'][number] => ({
      protocol: 'tcp',
      localAddress: '10.0.0.5',
      localPort: 41_000,
      remoteAddress: '203.0.113.10',
      remotePort: 8883,
      state: 'ESTABLISHED',
      uid: 0,
      inode: 1,
      ...overrides,
    });

    it('keeps connected sockets to remote hosts, and tells inbound (to a listening port) from outbound', function () {
      const flows = flowsFromSockets(
        network(
          [
            socket({}),
            socket({ localPort: 22, remoteAddress: '10.0.0.9', remotePort: 51_000 }),
            socket({
              protocol: 'tcp6',
              localAddress: '::ffff:10.0.0.5',
              remoteAddress: '::ffff:198.51.100.7',
              remotePort: 443,
              state: 'TIME_WAIT',
            }),
            socket({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0 }),
            socket({ remoteAddress: '127.0.0.1', remotePort: 5432 }),
            socket({ protocol: 'udp', state: 'UNCONN', remoteAddress: '0.0.0.0', remotePort: 0 }),
            socket({ protocol: 'udp', state: 'ESTABLISHED', remoteAddress: '10.0.0.1', remotePort: 53 }),
          ],
          [{ protocol: 'tcp6', address: '::', port: 22 }],
        ),
        T0,
      );
      expect(
        flows.map((entry) => [entry.protocol, entry.remoteAddress, entry.remotePort, entry.direction]),
      ).to.deep.equal([
        ['tcp', '203.0.113.10', 8883, 'out'],
        ['tcp', '10.0.0.9', 51_000, 'in'],
        ['tcp', '198.51.100.7', 443, 'out'],
        ['udp', '10.0.0.1', 53, 'out'],
      ]);
      expect(flows[0]).to.include({ bytesOut: null, packetsIn: null, lastSeen: T0 });
    });

    it("reads a simulated device's snapshot: its address, default route, ARP gateway and flows", function () {
      const simulation = createSimulation({
        devices: 1,
        ratePerSecond: 1,
        snapshotIntervalSeconds: 30,
        scenario: 'normal',
        seed: 'topology',
        startTimeMs: START_MS,
      });
      const message = simulation.step(START_MS + 31_000).find((candidate) => candidate.kind === 'snapshot')!;
      const body = topologySnapshotSchema.parse(message.body);
      const observation = observeSnapshot(simulation.devices[0]!.deviceId, body);
      expect(observation.interfaces.map((entry) => entry.name)).to.not.include('lo');
      expect(observation.interfaces[0]!.addresses[0]!.address).to.equal(simulation.devices[0]!.profile.ipv4);
      expect(observation.routes.find((route) => route.destination === '0.0.0.0/0')?.gateway).to.equal('10.0.0.1');
      expect(observation.neighbours[0]).to.include({ address: '10.0.0.1', mac: '02:00:5e:00:00:01' });
      expect(observation.flows.length).to.be.greaterThan(0);
      expect(observation.flows.every((entry) => entry.direction === 'out' && entry.remotePort! > 0)).to.equal(true);
      expect(observation.unavailable).to.deep.equal([]);
    });

    it('names the sections a device could not provide, and adds flow records from another source', function () {
      const body = {
        collectedAt: T0,
        network: { available: false as const, reason: 'no /proc/net' },
        arp: { available: false as const, reason: 'no /proc/net/arp' },
        activity: { available: false as const, reason: 'first snapshot' },
      };
      const observation = observeSnapshot(G, body, [flow('192.0.2.1', 443, { bytesOut: 10 })]);
      expect(observation.unavailable).to.deep.equal(['network: no /proc/net', 'arp: no /proc/net/arp']);
      expect(observation.flows).to.have.length(1);
    });

    it("reads flow records (the net work's conntrack and capture sections) and merges them with the sockets per connection", function () {
      const conntrack = {
        protocol: 'tcp',
        state: 'ESTABLISHED',
        localAddress: '10.0.0.5',
        localPort: 41_000,
        peerAddress: '203.0.113.10',
        peerPort: 8883,
        outbound: true,
        packetsOut: 12,
        packetsIn: 10,
        bytesOut: 2400,
        bytesIn: 1800,
        timeoutSeconds: 431_999,
        replied: true,
        lastSeen: T1,
      };
      const capture = {
        ...conntrack,
        localPort: 5353,
        peerAddress: '10.0.0.9',
        peerPort: 5353,
        protocol: 'udp',
        outbound: undefined,
        firstSeen: T0,
      };
      const body = {
        collectedAt: T1,
        network: {
          available: true as const,
          value: network([socket({})], [{ protocol: 'udp', address: '0.0.0.0', port: 5353 }]),
        },
        arp: { available: true as const, value: [] },
        activity: { available: false as const, reason: 'first snapshot' },
        conntrack: {
          available: true as const,
          value: { flows: [conntrack, { ...conntrack, peerAddress: '127.0.0.1' }] },
        },
        traffic: { available: true as const, value: { flows: [capture] } },
      };
      const observation = observeSnapshot(G, body);
      expect(
        observation.flows.map((entry) => [
          entry.protocol,
          entry.remoteAddress,
          entry.direction,
          entry.bytesOut,
          entry.state,
        ]),
      ).to.deep.equal([
        ['tcp', '203.0.113.10', 'out', 2400, 'ESTABLISHED'],
        ['udp', '10.0.0.9', 'in', 2400, 'ESTABLISHED'],
      ]);
      expect(
        observeSnapshot(G, { ...body, conntrack: { available: false, reason: 'no nf_conntrack' } }).unavailable,
      ).to.deep.equal(['conntrack: no nf_conntrack']);
      expect(
        flowsFromRecords([{ ...conntrack, protocol: 'icmp', localPort: 0, peerPort: 0, outbound: false }])[0],
      ).to.include({
        localPort: null,
        remotePort: null,
        direction: 'in',
      });
      const merged = mergeFlows([
        [flow('8.8.8.8', 53, { bytesOut: null })],
        [flow('8.8.8.8', 53, { bytesOut: 99, lastSeen: T1 })],
      ]);
      expect(merged).to.have.length(1);
      expect(merged[0]).to.include({ bytesOut: 99, lastSeen: T1 });
    });

    it('refuses a body whose network section breaks the snapshot schema, naming the field', function () {
      const result = topologySnapshotSchema.safeParse({
        collectedAt: T0,
        network: { available: true, value: { interfaces: 'eth0' } },
        arp: { available: false, reason: 'x' },
        activity: { available: false, reason: 'x' },
      });
      expect(result.success).to.equal(false);
      expect(result.error!.issues.map((issue) => issue.path.join('.'))).to.include('network.value.interfaces');
    });
  });

  describe('buildTopology', function () {
    it('makes twins, gateways, peers and outside hosts the nodes, a twin gateway a twin with gatewayFor', function () {
      const topology = buildTopology({
        observations: fleet(),
        twins: [
          { deviceId: G, state: 'active' },
          { deviceId: id(9), state: 'suspended' },
        ],
        generatedAt: T1,
      });
      const kinds = Object.fromEntries(topology.nodes.map((node) => [node.id, node.kind]));
      expect(kinds).to.deep.equal({
        [G]: 'twin',
        [S1]: 'twin',
        [S2]: 'twin',
        [H]: 'twin',
        [id(9)]: 'twin',
        'host:192.168.0.1@aa:aa:aa:aa:aa:01': 'gateway',
        'host:8.8.8.8': 'outside',
        'host:203.0.113.5': 'outside',
      });
      expect(nodeOf(topology, G)).to.include({ state: 'active', mac: '02:00:00:00:00:01' });
      expect(nodeOf(topology, G)!.gatewayFor.sort()).to.deep.equal([S1, S2].sort());
      expect(nodeOf(topology, S2)!.gatewayFor).to.deep.equal([H]);
      expect(nodeOf(topology, id(9))).to.include({ state: 'suspended', lastSeen: null });
      expect(nodeOf(topology, S2)!.addresses).to.deep.equal(['10.1.0.3', '10.2.0.1']);
    });

    it('links routes, ARP neighbours (one link for both ends) and flows client → server per protocol and port', function () {
      const topology = buildTopology({ observations: fleet() });
      const route = linkOf(topology, `route:${S1}>${G}`)!;
      expect(route.observations[0]).to.include({ interface: 'eth0', connections: 2, bytes: 1500, packets: 15 });
      expect(route.observations[0]!.destinations).to.deep.equal(['0.0.0.0/0']);
      const neighbour = linkOf(topology, `neighbour:${[S1, S2].sort().join('|')}`)!;
      expect(neighbour.observations.map((entry) => entry.by).sort()).to.deep.equal([S1, S2].sort());
      // S1 → S2:1883 seen from both ends (S2 sees the inbound socket on its listening port): one link.
      const mqtt = linkOf(topology, `flow:${S1}>${S2}:tcp/1883`)!;
      expect(mqtt.observations.map((entry) => entry.by).sort()).to.deep.equal([S1, S2].sort());
      expect(mqtt.observations.every((entry) => entry.via === null)).to.equal(true);
      const dns = linkOf(topology, `flow:${S1}>host:8.8.8.8:udp/53`)!;
      expect(dns.traffic).to.deep.equal({ connections: 2, bytes: 630, packets: 6 });
      expect(dns.observations[0]!.via).to.equal(G);
      expect(linkOf(topology, `flow:${H}>host:203.0.113.5:tcp/443`)!.observations[0]!.via).to.equal(S2);
    });

    it("keeps each observer's latest view of a link, and the latest time it was seen", function () {
      const early = device(S1, '10.1.0.2/24', {
        at: T0,
        flows: [flow('8.8.8.8', 53), flow('8.8.8.8', 53), flow('8.8.8.8', 53)],
      });
      const late = device(S1, '10.1.0.2/24', { at: T1, flows: [flow('8.8.8.8', 53, { lastSeen: T1 })] });
      const topology = buildTopology({ observations: [late, early] });
      const link = linkOf(topology, `flow:${S1}>host:8.8.8.8:tcp/53`)!;
      expect(link.observations).to.have.length(1);
      expect(link.traffic.connections).to.equal(1);
      expect(link.lastSeen).to.equal(T1);
      expect(nodeOf(topology, S1)!.lastSeen).to.equal(T1);
    });

    it('makes a flow a router tracks but does not end a flow between its two ends, through the router', function () {
      const observations = fleet();
      // G's connection tracking lists S1's flow to 203.0.113.7, which G forwards.
      observations[0]!.flows.push(flow('203.0.113.7', 443, { localAddress: '10.1.0.2', bytesOut: 500, bytesIn: 700 }));
      const topology = buildTopology({ observations });
      const link = linkOf(topology, `flow:${S1}>host:203.0.113.7:tcp/443`)!;
      expect(link.observations).to.deep.equal([
        {
          by: G,
          at: T0,
          interface: null,
          destinations: [],
          protocol: 'tcp',
          port: 443,
          connections: 1,
          bytes: 1200,
          packets: null,
          via: G,
        },
      ]);
      const stopped = whatIf(topology, [G]).stoppedFlows.find((entry) => entry.linkId === link.id);
      expect(stopped).to.include({ reason: 'gateway-lost', via: G });
    });

    it('keeps equal private gateway addresses behind different routers apart by MAC', function () {
      const a = device(id(5), '192.168.1.20/24', {
        gateway: '192.168.1.1',
        arp: { '192.168.1.1': 'aa:00:00:00:00:01' },
      });
      const b = device(id(6), '192.168.1.20/24', {
        gateway: '192.168.1.1',
        arp: { '192.168.1.1': 'bb:00:00:00:00:01' },
      });
      const topology = buildTopology({ observations: [a, b] });
      expect(
        topology.nodes
          .filter((node) => node.kind === 'gateway')
          .map((node) => node.id)
          .sort(),
      ).to.deep.equal(['host:192.168.1.1@aa:00:00:00:00:01', 'host:192.168.1.1@bb:00:00:00:00:01']);
      // Both twins claim 192.168.1.20: the address names neither of them.
      expect(nodeOf(topology, id(5))!.addresses).to.deep.equal(['192.168.1.20']);
    });
  });

  describe('topologyAround', function () {
    it('returns the nodes within depth links and the links among them', function () {
      const topology = buildTopology({ observations: fleet() });
      expect(topologyAround(topology, H, 0).nodes.map((node) => node.id)).to.deep.equal([H]);
      const one = topologyAround(topology, H, 1);
      expect(one.nodes.map((node) => node.id).sort()).to.deep.equal([H, S2, 'host:203.0.113.5'].sort());
      expect(
        one.links.every((link) => [link.source, link.target].every((end) => one.nodes.some((node) => node.id === end))),
      ).to.equal(true);
      expect(topologyAround(topology, H, 2).nodes.map((node) => node.id)).to.include.members([G, S1]);
    });

    it('refuses an unknown node and a depth out of range', function () {
      const topology = buildTopology({ observations: fleet() });
      expect(() => topologyAround(topology, id(99), 1))
        .to.throw(TopologyQueryError, 'No such node')
        .with.property('unknown')
        .that.deep.equals([id(99)]);
      expect(() => topologyAround(topology, G, 7)).to.throw(TopologyQueryError, 'depth must be an integer from 0 to 6');
    });
  });

  describe('whatIf', function () {
    it('isolating the gateway twin: its sensors lose their gateway, the twin behind them too, flows beyond stop', function () {
      const result = whatIf(buildTopology({ observations: fleet() }), [G]);
      expect(result.lostGateway).to.deep.equal(
        [
          { deviceId: S1, gateways: [G], routeLeft: false },
          { deviceId: S2, gateways: [G], routeLeft: false },
          { deviceId: H, gateways: [S2], routeLeft: false },
        ].sort((a, b) => a.deviceId.localeCompare(b.deviceId)),
      );
      expect(result.lostPeers.map((entry) => entry.deviceId).sort()).to.deep.equal([S1, S2].sort());
      const stopped = Object.fromEntries(result.stoppedFlows.map((entry) => [entry.linkId, [entry.reason, entry.via]]));
      expect(stopped).to.deep.equal({
        [`flow:${S1}>host:8.8.8.8:udp/53`]: ['gateway-lost', G],
        [`flow:${H}>host:203.0.113.5:tcp/443`]: ['gateway-lost', S2],
      });
      // The flow on the sensors' own link does not need the gateway.
      expect(result.summary).to.deep.equal({ twinsAffected: 3, flowsStopped: 2, flows: 3 });
    });

    it('isolating a sensor: its peers lose it and the flows to it stop; nobody loses a gateway', function () {
      const result = whatIf(buildTopology({ observations: fleet() }), [S2]);
      expect(result.lostGateway).to.deep.equal([{ deviceId: H, gateways: [S2], routeLeft: false }]);
      expect(result.lostPeers).to.deep.include({ deviceId: S1, peers: [S2] });
      expect(result.stoppedFlows.map((entry) => [entry.linkId, entry.reason])).to.deep.include.members([
        [`flow:${S1}>${S2}:tcp/1883`, 'endpoint-isolated'],
        [`flow:${H}>host:203.0.113.5:tcp/443`, 'gateway-lost'],
      ]);
    });

    it('a twin with a second gateway keeps a route', function () {
      const observations = fleet();
      observations[1]!.routes.push({ destination: '0.0.0.0/0', gateway: '10.1.0.254', interface: 'eth0', metric: 600 });
      const result = whatIf(buildTopology({ observations }), [G]);
      expect(result.lostGateway.find((entry) => entry.deviceId === S1)).to.deep.equal({
        deviceId: S1,
        gateways: [G],
        routeLeft: true,
      });
    });

    it('refuses IDs that are no twin of the topology, naming them', function () {
      const topology = buildTopology({ observations: fleet() });
      expect(() => whatIf(topology, [G, 'host:8.8.8.8', id(77)]))
        .to.throw(TopologyQueryError)
        .with.property('unknown')
        .that.deep.equals(['host:8.8.8.8', id(77)]);
    });
  });

  describe('redactTopology and redactWhatIf', function () {
    it('shows the public twins and which twins are linked, nothing else', function () {
      const view = redactTopology(buildTopology({ observations: fleet() }), () => false);
      expect(
        view.nodes.every(
          (node) =>
            node.kind === 'twin' && node.addresses.length === 0 && node.mac === null && node.gatewayFor.length === 0,
        ),
      ).to.equal(true);
      expect(
        view.links.every(
          (link) => link.kind === 'link' && 'redacted' in link && !('observations' in link) && !('traffic' in link),
        ),
      ).to.equal(true);
      expect(view.links.map((link) => link.id).sort()).to.deep.equal(
        [
          [G, S1],
          [G, S2],
          [S1, S2],
          [H, S2],
        ]
          .map((pair) => `link:${pair.sort().join('|')}`)
          .sort(),
      );
      expect(JSON.stringify(view)).to.not.include('8.8.8.8').and.not.include('10.1.0');
    });

    it("shows a viewer its own twin's internals: that twin's observations only, and the hosts they reach", function () {
      const topology = buildTopology({ observations: fleet() });
      const view = redactTopology(topology, (deviceId) => deviceId === S1);
      expect(view.nodes.find((node) => node.id === S1)!.addresses).to.deep.equal(['10.1.0.2']);
      expect(view.nodes.find((node) => node.id === S2)!.addresses).to.deep.equal([]);
      expect(view.nodes.map((node) => node.id))
        .to.include('host:8.8.8.8')
        .and.not.include('host:203.0.113.5');
      const mqtt = view.links.find((link) => link.id === `flow:${S1}>${S2}:tcp/1883`)!;
      expect('observations' in mqtt && mqtt.observations.map((entry) => entry.by)).to.deep.equal([S1]);
      // G–S2 is seen only by S2: to this viewer it only exists.
      expect(view.links.map((link) => link.id)).to.include(`link:${[G, S2].sort().join('|')}`);
      expect(view.links.map((link) => link.id)).to.not.include(`link:${[S1, S2].sort().join('|')}`);
      const answer = redactWhatIf(whatIf(topology, [G]), topology, (deviceId) => deviceId === S1);
      expect(answer.stoppedFlows.map((entry) => entry.linkId)).to.deep.equal([`flow:${S1}>host:8.8.8.8:udp/53`]);
      // S1 observed two flows (to S2 and to 8.8.8.8); H's flow is not counted for this viewer.
      expect(answer.summary).to.include({ flowsStopped: 1, flows: 2 });
      const publicAnswer = redactWhatIf(whatIf(topology, [G]), topology, () => false);
      expect(publicAnswer.stoppedFlows).to.deep.equal([]);
      expect(publicAnswer.summary).to.include({ flowsStopped: 0, flows: 0 });
      expect(publicAnswer.lostGateway.map((entry) => entry.gateways)).to.deep.equal([[G], [G], [S2]]);
    });
  });

  describe('on a simulated fleet', function () {
    it('puts every virtual device behind the one gateway and its flows through it; isolating one stops only its own', function () {
      const simulation = createSimulation({
        devices: 6,
        ratePerSecond: 1,
        snapshotIntervalSeconds: 30,
        scenario: 'normal',
        seed: 'topology-fleet',
        startTimeMs: START_MS,
      });
      const observations = simulation
        .step(START_MS + 31_000)
        .filter((message) => message.kind === 'snapshot')
        .map((message) =>
          observeSnapshot(
            simulation.devices[message.deviceIndex]!.deviceId,
            topologySnapshotSchema.parse(message.body),
          ),
        );
      expect(new Set(observations.map((entry) => entry.deviceId)).size).to.equal(6);
      const topology = buildTopology({ observations });
      const gateway = topology.nodes.filter((node) => node.kind === 'gateway');
      expect(gateway.map((node) => node.id)).to.deep.equal(['host:10.0.0.1@02:00:5e:00:00:01']);
      expect(gateway[0]!.gatewayFor).to.have.length(6);
      const flows = topology.links.filter((link) => link.kind === 'flow');
      expect(flows.length).to.be.greaterThan(0);
      expect(flows.every((link) => link.observations.every((entry) => entry.via === gateway[0]!.id))).to.equal(true);
      expect(new Set(flows.map((link) => link.target))).to.include('host:203.0.113.10');
      const first = simulation.devices[0]!.deviceId;
      const result = whatIf(topology, [first]);
      expect(result.lostGateway).to.deep.equal([]);
      expect(result.stoppedFlows.length).to.be.greaterThan(0);
      expect(
        result.stoppedFlows.every((entry) => entry.source === first && entry.reason === 'endpoint-isolated'),
      ).to.equal(true);
    });
  });
});
