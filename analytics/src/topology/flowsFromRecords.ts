import { isLocalOnly, normaliseAddress } from './address';
import type { FlowObservation } from './types';

/**
 * A flow record as a capture or the kernel's connection tracking reports it (the `net` work's `traffic.flows` and
 * `conntrack.flows` snapshot sections): the local and the peer end, bytes and packets each way when counted, and
 * when it was last seen. `outbound` (conntrack: the original direction's source is local) gives the direction;
 * without it the listening ports decide, as for sockets.
 */
export type FlowRecord = {
  protocol: string;
  localAddress: string;
  localPort: number | null;
  peerAddress: string;
  peerPort: number | null;
  outbound?: boolean | undefined;
  state?: string | null | undefined;
  bytesIn: number | null;
  bytesOut: number | null;
  packetsIn: number | null;
  packetsOut: number | null;
  lastSeen: string;
};

/**
 * Flow observations from flow records: peers that are loopback or unspecified left out, ports 0 (ICMP) as null, the
 * direction from `outbound`, else `in` when the local port is one of `listening` (`tcp/22`, `udp/53`), else `out`.
 *
 * @example
 * flowsFromRecords(body.conntrack.value.flows) // [{ protocol: 'tcp', remoteAddress: '203.0.113.10', bytesOut: 5120, … }]
 */
export function flowsFromRecords(
  records: readonly FlowRecord[],
  listening: ReadonlySet<string> = new Set(),
): FlowObservation[] {
  const flows: FlowObservation[] = [];
  for (const record of records) {
    const local = normaliseAddress(record.localAddress);
    const remote = normaliseAddress(record.peerAddress);
    if (local === null || remote === null || isLocalOnly(remote)) continue;
    const protocol = record.protocol.replace('6', '');
    const direction =
      record.outbound === undefined
        ? listening.has(`${protocol}/${record.localPort}`)
          ? 'in'
          : 'out'
        : record.outbound
        ? 'out'
        : 'in';
    flows.push({
      protocol,
      localAddress: local,
      localPort: record.localPort || null,
      remoteAddress: remote,
      remotePort: record.peerPort || null,
      direction,
      state: record.state ?? null,
      bytesOut: record.bytesOut,
      bytesIn: record.bytesIn,
      packetsOut: record.packetsOut,
      packetsIn: record.packetsIn,
      lastSeen: record.lastSeen,
    });
  }
  return flows;
}

/** The 5-tuple a flow is one connection by. */
const tupleOf = (flow: FlowObservation) =>
  `${flow.protocol} ${flow.localAddress} ${flow.localPort ?? '-'} ${flow.remoteAddress} ${flow.remotePort ?? '-'}`;

/**
 * One observation per connection from several sources, the first source's in the order given (put the richest
 * first: connection tracking, then the capture, then sockets); counters and direction a later source has and the
 * first lacks are taken from it, and the latest last-seen time.
 *
 * @example
 * mergeFlows([conntrackFlows, captureFlows, socketFlows])
 */
export function mergeFlows(sources: ReadonlyArray<readonly FlowObservation[]>): FlowObservation[] {
  const byTuple = new Map<string, FlowObservation>();
  for (const flows of sources) {
    for (const flow of flows) {
      const key = tupleOf(flow);
      const known = byTuple.get(key);
      if (known === undefined) {
        byTuple.set(key, { ...flow });
        continue;
      }
      known.direction ??= flow.direction;
      known.state ??= flow.state;
      known.bytesIn ??= flow.bytesIn;
      known.bytesOut ??= flow.bytesOut;
      known.packetsIn ??= flow.packetsIn;
      known.packetsOut ??= flow.packetsOut;
      if (Date.parse(flow.lastSeen) > Date.parse(known.lastSeen)) known.lastSeen = flow.lastSeen;
    }
  }
  return [...byTuple.values()];
}
