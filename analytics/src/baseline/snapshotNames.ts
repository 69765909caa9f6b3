import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';

/** The parts of a snapshot body the analyzer reads. */
export type SnapshotView = Pick<SnapshotBody, 'processes' | 'network'>;

/** Result of {@link snapshotNames}: undefined where the probe is unavailable. */
export type SnapshotNames = { ports: string[] | undefined; processes: string[] | undefined };

/**
 * Process name as learned: digit runs collapsed to `#`, so per-CPU and per-instance kernel threads
 * (`kworker/0:1-events`, `kworker/1:2-events`) are one name.
 *
 * @example
 * normaliseProcessName('kworker/0:1-events') // 'kworker/#:#-events'
 */
export function normaliseProcessName(name: string): string {
  return name.replace(/[0-9]+/g, '#');
}

/**
 * The listening sockets (`protocol/port`, e.g. `tcp/22`, `udp6/5353`) and normalised process names of a snapshot.
 *
 * @example
 * snapshotNames(body) // { ports: ['tcp/22', 'tcp6/22', 'udp/5353', …], processes: ['systemd', 'kthreadd', …] }
 */
export function snapshotNames(body: SnapshotView): SnapshotNames {
  const ports = body.network.available
    ? body.network.value.listening.map((entry) => `${entry.protocol}/${entry.port}`)
    : undefined;
  const processes = body.processes.available
    ? body.processes.value.list.map((process) => normaliseProcessName(process.name))
    : undefined;
  return { ports, processes };
}
