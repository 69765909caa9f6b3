import { summarise } from './buildTopology';
import type { Topology, TopologyLink, TopologyNode } from './types';
import type { WhatIfResult } from './whatIf';

/** Whether the viewer may read a twin's internals (its addresses, flows, peers): the access rule of the caller. */
export type MayReadInternals = (deviceId: string) => boolean;

/** A link between two twins the viewer sees only exists: no kind, traffic, time or observer. */
export type RedactedLink = { id: string; kind: 'link'; source: string; target: string; redacted: true };

/** A topology as one viewer may see it. */
export type RedactedTopology = Omit<Topology, 'links'> & { links: Array<TopologyLink | RedactedLink> };

/**
 * The topology as a viewer may see it: every twin (its DeviceID and chain state are public); a twin's addresses and
 * MAC only when the viewer may read its internals; a link's observations only from twins whose internals the
 * viewer may read, its traffic recomputed from those. A link none of whose observations remain is dropped, except
 * between two twins, where its existence stays (one {@link RedactedLink} per pair of twins). Hosts (gateways,
 * peers, outside hosts) stay only where a remaining full link reaches them.
 *
 * @example
 * redactTopology(topology, () => false) // the public view: twins, and which twins are linked
 * redactTopology(topology, (deviceId) => ownTwins.has(deviceId))
 */
export function redactTopology(topology: Topology, mayRead: MayReadInternals): RedactedTopology {
  const twins = new Set(topology.nodes.filter((node) => node.kind === 'twin').map((node) => node.id));
  const links: RedactedTopology['links'] = [];
  const pairs = new Set<string>();
  const reached = new Set<string>();
  for (const link of topology.links) {
    const observations = link.observations.filter((entry) => mayRead(entry.by));
    if (observations.length > 0) {
      links.push({
        ...link,
        observations,
        lastSeen: observations.map((entry) => entry.at).reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)),
        traffic: summarise(observations),
      });
      reached.add(link.source).add(link.target);
      continue;
    }
    if (!twins.has(link.source) || !twins.has(link.target)) continue;
    const [source, target] = link.source < link.target ? [link.source, link.target] : [link.target, link.source];
    const id = `link:${source}|${target}`;
    if (pairs.has(id)) continue;
    pairs.add(id);
    links.push({ id, kind: 'link', source, target, redacted: true });
  }
  const nodes: TopologyNode[] = [];
  for (const node of topology.nodes) {
    if (node.kind === 'twin') {
      const readable = mayRead(node.id);
      nodes.push({
        ...node,
        addresses: readable ? node.addresses : [],
        mac: readable ? node.mac : null,
        gatewayFor: node.gatewayFor.filter((twin) => mayRead(twin)),
      });
    } else if (reached.has(node.id)) {
      nodes.push({ ...node, gatewayFor: node.gatewayFor.filter((twin) => mayRead(twin)) });
    }
  }
  // A full link and a redacted one for the same pair of twins: the full one says more, keep only it.
  const full = new Set(
    links.filter((link) => link.kind !== 'link').map((link) => [link.source, link.target].sort().join('|')),
  );
  return {
    generatedAt: topology.generatedAt,
    nodes,
    links: links.filter((link) => link.kind !== 'link' || !full.has(`${link.source}|${link.target}`)),
  };
}

/**
 * A what-if answer as a viewer may see it: which twins lose a gateway or peers stays (facts about twins and their
 * links), but a lost gateway that is not a twin is named only to a viewer who may read that twin's internals; a
 * stopped flow is listed only when the viewer may read a twin that observed it (with only those observers), and the
 * flows counted are those.
 *
 * @example
 * redactWhatIf(whatIf(topology, [id]), topology, () => false).stoppedFlows // []
 */
export function redactWhatIf(result: WhatIfResult, topology: Topology, mayRead: MayReadInternals): WhatIfResult {
  const twins = new Set(topology.nodes.filter((node) => node.kind === 'twin').map((node) => node.id));
  const lostGateway = result.lostGateway.map((entry) => ({
    ...entry,
    gateways: mayRead(entry.deviceId) ? entry.gateways : entry.gateways.filter((gateway) => twins.has(gateway)),
  }));
  const stoppedFlows = result.stoppedFlows.flatMap((flow) => {
    const observedBy = flow.observedBy.filter((by) => mayRead(by));
    return observedBy.length === 0 ? [] : [{ ...flow, observedBy }];
  });
  const flows = topology.links.filter(
    (link) => link.kind === 'flow' && link.observations.some((entry) => mayRead(entry.by)),
  ).length;
  return {
    ...result,
    lostGateway,
    stoppedFlows,
    summary: { ...result.summary, flowsStopped: stoppedFlows.length, flows },
  };
}
