/**
 * Agent footprint benchmark (issues 3 and 17): CPU milliseconds and peak RSS per full snapshot of the real collector
 * on this machine (every probe, each section checked by its generated validator), the whole-body check the agent
 * makes before signing, and per telemetry reading. agent/bench/footprint.ts measures the real `twin-agent run`. A
 * measurement to report, not a test.
 *
 * @example
 * npm run bench:agent                                   # builds, then this and the simulator benchmark
 * node agent/dist/agent/bench/snapshot.js --snapshots 50 # after npm run build:agent
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { loadAgentConfig } from '../src/config';
import { createCollector } from '../src/collect/createCollector';
import { collectOptionsFromConfig } from '../src/runAgent';
import { checkSnapshotBody } from '../src/validate/validators';
import { captureCpuPer1000Packets, tcpdumpCpuAt1000PacketsPerSec } from './capture';

// As the CLI runs the agent (agent/src/cli.ts).
setFlagsFromString('--optimize-for-size');

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const snapshots = flag('snapshots', 20);
  const readings = flag('telemetry', 100);
  // The snapshot figures are of the /proc probes: capture is measured apart below (its cost depends on the traffic).
  const config = loadAgentConfig({
    environment: { TWIN_AGENT_CAPTURE_MODE: 'off', ...process.env, TWIN_AGENT_DATA_DIR: '/tmp/twin-agent-bench' },
  });
  const collector = createCollector(collectOptionsFromConfig(config));
  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  const checkMs: number[] = [];
  let peakHeap = 0;
  let processes = 0;
  for (let index = 0; index < snapshots + 1; index++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const body = await collector.snapshot();
    const used = process.cpuUsage(cpu);
    const checkCpu = process.cpuUsage();
    if (!checkSnapshotBody(body).ok) throw new Error('the snapshot does not match its schema');
    const checkUsed = process.cpuUsage(checkCpu);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    if (index === 0) continue; // the first one pays for JIT warm-up and has no rates yet
    checkMs.push((checkUsed.user + checkUsed.system) / 1000);
    cpuMs.push((used.user + used.system) / 1000);
    wallMs.push(performance.now() - started);
    processes = body.processes.available ? body.processes.value.tasks.total : 0;
  }
  const telemetryCpu = process.cpuUsage();
  for (let index = 0; index < readings; index++) await collector.telemetry();
  const telemetryUsed = process.cpuUsage(telemetryCpu);
  await collector.close();
  const capture = captureCpuPer1000Packets();
  const tcpdump = await tcpdumpCpuAt1000PacketsPerSec();
  // VmHWM, this process's own peak: getrusage's maxRSS also counts the parent's (npm's) memory at fork.
  const peakRssMiB = Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  const rows = [
    ['full snapshot, CPU ms (median)', median(cpuMs).toFixed(1)],
    ['full snapshot, CPU ms (max)', Math.max(...cpuMs).toFixed(1)],
    ['full snapshot, wall ms (median)', median(wallMs).toFixed(1)],
    ['whole-body check, CPU ms (median)', median(checkMs).toFixed(2)],
    ['telemetry reading, CPU ms (mean)', ((telemetryUsed.user + telemetryUsed.system) / 1000 / readings).toFixed(2)],
    ['capture, CPU ms per 1,000 packets', capture.cpuMsPer1000.toFixed(2)],
    ['capture, CPU % at 1,000 packets/s', (capture.cpuMsPer1000 / 10).toFixed(2)],
    [
      'tcpdump process, CPU % at 1,000 packets/s',
      tcpdump.cpuPercent === null ? `skipped: ${tcpdump.reason}` : tcpdump.cpuPercent.toFixed(2),
    ],
    ['peak RSS of the process, MiB', peakRssMiB.toFixed(1)],
    ['largest heap used after a snapshot, MiB', (peakHeap / 2 ** 20).toFixed(1)],
    ['processes on this machine', String(processes)],
    ['Node.js', process.version],
  ];
  console.log(`Agent footprint over ${snapshots} snapshots and ${readings} telemetry readings`);
  for (const [label, value] of rows) console.log(`  ${label!.padEnd(44)} ${value}`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
