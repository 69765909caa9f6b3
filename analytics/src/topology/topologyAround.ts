import { TopologyQueryError } from './errors';
import type { Topology } from './types';

/** A {@link Topology} or a redacted one: nodes with IDs, links with ends. */
export type GraphLike = Pick<Topology, 'generatedAt'> & {
  nodes: ReadonlyArray<{ id: string }>;
  links: ReadonlyArray<{ source: string; target: string }>;
};

/** The largest `depth` {@link topologyAround} takes. */
export const MAX_TOPOLOGY_DEPTH = 6;

/**
 * The part of the graph within `depth` links of `nodeId` (links followed either way): those nodes and the links
 * among them. Throws {@link TopologyQueryError} for a node the graph does not have or a depth outside 0–6.
 *
 * @example
 * topologyAround(topology, deviceId, 1).nodes // the twin, its gateway, its peers and the hosts it talks to
 */
export function topologyAround<graph extends GraphLike>(topology: graph, nodeId: string, depth: number): graph {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_TOPOLOGY_DEPTH) {
    throw new TopologyQueryError('Invalid depth.', {
      details: `depth must be an integer from 0 to ${MAX_TOPOLOGY_DEPTH}, got ${depth}`,
    });
  }
  if (!topology.nodes.some((node) => node.id === nodeId)) {
    throw new TopologyQueryError('No such node in the topology.', { details: nodeId, unknown: [nodeId] });
  }
  const adjacent = new Map<string, string[]>();
  for (const link of topology.links) {
    adjacent.set(link.source, [...(adjacent.get(link.source) ?? []), link.target]);
    adjacent.set(link.target, [...(adjacent.get(link.target) ?? []), link.source]);
  }
  const reached = new Set([nodeId]);
  let frontier = [nodeId];
  for (let step = 0; step < depth && frontier.length > 0; step++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const other of adjacent.get(id) ?? []) {
        if (reached.has(other)) continue;
        reached.add(other);
        next.push(other);
      }
    }
    frontier = next;
  }
  return {
    ...topology,
    nodes: topology.nodes.filter((node) => reached.has(node.id)),
    links: topology.links.filter((link) => reached.has(link.source) && reached.has(link.target)),
  };
}
