/**
 * `npm run bench:topology`: the network model's cost on one thread, on simulated fleets (mixed scenario, one
 * snapshot per device): reading a snapshot's network sections (`topologySnapshotSchema` + `observeSnapshot`), building
 * the graph (`buildTopology`), the public view (`redactTopology`) and a what-if isolating one twin (`whatIf`). Best of
 * five rounds (the machine is shared: best, not mean). `--devices 100,1000,5000` chooses the fleet sizes.
 *
 * @example
 * npm run bench:topology -- --devices 1000
 */
import { parseArgs } from 'node:util';
import { createSimulation } from '../../agent/src/simulate';
import { buildTopology, observeSnapshot, redactTopology, topologySnapshotSchema, whatIf } from '../../analytics/src';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';

/** Milliseconds of the fastest of five runs of `work`. */
function best(work: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    work();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return fastest;
}

function measure(devices: number) {
  const start = Date.UTC(2026, 0, 1);
  const simulation = createSimulation({
    devices,
    ratePerSecond: 1,
    snapshotIntervalSeconds: 30,
    scenario: 'mixed',
    seed: 'bench-topology',
    startTimeMs: start,
  });
  const bodies = new Map<string, unknown>();
  for (const message of simulation.step(start + 31_000)) {
    if (message.kind === 'snapshot') bodies.set(simulation.devices[message.deviceIndex]!.deviceId, message.body);
  }
  const entries = [...bodies];
  const observeMs = best(() => {
    for (const [deviceId, body] of entries) observeSnapshot(deviceId, topologySnapshotSchema.parse(body));
  });
  const observations = entries.map(([deviceId, body]) => observeSnapshot(deviceId, topologySnapshotSchema.parse(body)));
  let topology = buildTopology({ observations });
  const buildMs = best(() => (topology = buildTopology({ observations })));
  const redactMs = best(() => redactTopology(topology, () => false));
  const whatIfMs = best(() => whatIf(topology, [entries[0]![0]]));
  return {
    devices: entries.length,
    nodes: topology.nodes.length,
    links: topology.links.length,
    observeMsPerSnapshot: Number((observeMs / entries.length).toFixed(3)),
    buildMs: Number(buildMs.toFixed(1)),
    redactMs: Number(redactMs.toFixed(1)),
    whatIfMs: Number(whatIfMs.toFixed(1)),
  };
}

assertNodeVersion(22, 'The topology benchmark');
const { values } = parseArgs({ options: { devices: { type: 'string', default: '100,1000,5000' } } });
const sizes = values.devices.split(',').map(Number);
if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 20_000)) {
  process.stderr.write(`bench:topology: --devices must be integers from 1 to 20000, got ${values.devices}\n`);
  process.exit(2);
}
console.table(sizes.map(measure));
