/**
 * Agent footprint, step by step (issue 17: peak RSS ≤ 60 MB on Node 24): the peak RSS of an empty Node.js process,
 * of one that has loaded the agent's modules, and of the real agent (`twin-agent run`, built) publishing snapshots
 * every 2 s and telemetry every second to an aedes broker, each a process of its own with the flag the agent runs
 * with. The agent's peak is the kernel's high-water mark (VmHWM); its CPU is the kernel's count. A measurement to
 * report, not a test.
 *
 * @example
 * npm run bench:agent                                     # after the snapshot benchmark
 * npx ts-node -T agent/bench/footprint.ts --snapshots 10  # or --cli another/build/cli.js to compare builds
 * npx ts-node -T agent/bench/footprint.ts --node-flags '--max-semi-space-size=1 --lite-mode'  # other V8 flags
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

/**
 * The flags the agent runs with (the first line of agent/src/cli.ts, `npm run agent`), or `--node-flags "…"` instead
 * to compare (e.g. `--node-flags --max-semi-space-size=1` for the flags before issue 17's last step, or `--lite-mode`).
 */
const AGENT_FLAGS = '--max-semi-space-size=1 --no-maglev --no-concurrent-recompilation';
const FLAGS = option('node-flags', AGENT_FLAGS).split(/\s+/).filter(Boolean);

/** Peak RSS (VmHWM, MiB) and heap used (MiB) of a Node.js process running `code`. */
function measure(code: string): { rss: number; heap: number } {
  const report =
    // VmHWM, the process's own peak: getrusage's maxRSS would also count this (parent) process's memory at fork.
    "process.stdout.write(JSON.stringify({ rss: Number(/^VmHWM:\\s+(\\d+) kB$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]) / 1024, heap: process.memoryUsage().heapUsed / 2 ** 20 }))";
  const result = spawnSync(process.execPath, [...FLAGS, '-e', `${code};${report}`], { encoding: 'utf8', cwd: ROOT });
  if (result.status !== 0) throw new Error(`measuring failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { rss: number; heap: number };
}

/** A field of /proc/<pid>/status in MiB (VmHWM, VmRSS). */
function status(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The resident pages by kind at the end (/proc/<pid>/smaps_rollup, MiB): anonymous (heaps, stacks) and file-backed (the node binary, libraries). */
function residentByKind(pid: number): { anonymous: number; file: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  return { anonymous: field('Anonymous'), file: field('Rss') - field('Anonymous') };
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type Broker = { url: string; snapshots: () => number; close: () => Promise<void> };

async function startBroker(): Promise<Broker> {
  const { Aedes } = require('aedes') as {
    Aedes: { createBroker(): Promise<{ handle: (socket: unknown) => void; on: Function; close: (done: () => void) => void }> };
  };
  const broker = await Aedes.createBroker();
  let snapshots = 0;
  broker.on('publish', (packet: { topic: string }, client: unknown) => {
    if (client && packet.topic.endsWith('/snapshot')) snapshots++;
  });
  const server = createServer(broker.handle);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    snapshots: () => snapshots,
    close: async () => {
      await new Promise<void>((done) => broker.close(done));
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** The real agent publishing `snapshots` snapshots: its peak RSS, its RSS at the end, its CPU per second. */
async function runAgent(cli: string, snapshots: number) {
  const broker = await startBroker();
  const dataDir = mkdtempSync(join(tmpdir(), 'lean-agent-footprint-'));
  const child = spawn(process.execPath, [...FLAGS, cli, 'run'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      TWIN_AGENT_DATA_DIR: dataDir,
      TWIN_AGENT_MQTT_URL: broker.url,
      TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '2',
      TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '1',
      TWIN_AGENT_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid!;
  const started = Date.now();
  let cpuStart: number | undefined;
  let timeStart = 0;
  let firstSeen = 0;
  try {
    while (broker.snapshots() < snapshots + 1) {
      if (Date.now() - started > 60_000 + snapshots * 4_000) throw new Error('the agent published too few snapshots');
      if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}`);
      await new Promise((done) => setTimeout(done, 100));
      // CPU is counted from the first snapshot on (start-up apart).
      if (cpuStart === undefined && broker.snapshots() >= 1) {
        cpuStart = cpuSeconds(pid);
        timeStart = Date.now();
        firstSeen = broker.snapshots();
      }
    }
    const peak = status(pid, 'VmHWM');
    const rss = status(pid, 'VmRSS');
    const kinds = residentByKind(pid);
    const cpuPerSecond = (cpuSeconds(pid) - cpuStart!) / ((Date.now() - timeStart) / 1000);
    return { peak, rss, kinds, cpuPerSecond, published: broker.snapshots() - firstSeen };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cli = resolve(option('cli', join(ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js')));
  const snapshots = Number(option('snapshots', '10'));
  const empty = measure('0');
  const loaded = measure(`require(${JSON.stringify(cli)})`);
  const agent = await runAgent(cli, snapshots);
  const mib = (value: number) => `${value.toFixed(1)} MiB (${((value * 2 ** 20) / 1e6).toFixed(1)} MB)`;
  const rows = [
    ['empty Node.js process, peak RSS', mib(empty.rss)],
    ["the agent's modules loaded, peak RSS", mib(loaded.rss)],
    ["the agent's modules loaded, heap used", `${loaded.heap.toFixed(1)} MiB`],
    [`twin-agent run, ${agent.published} snapshots: peak RSS`, mib(agent.peak)],
    ['twin-agent run: RSS at the end', mib(agent.rss)],
    ['  of it anonymous (heap, stacks) / file-backed', `${agent.kinds.anonymous.toFixed(1)} / ${agent.kinds.file.toFixed(1)} MiB`],
    ['twin-agent run: CPU, % of one core', `${(agent.cpuPerSecond * 100).toFixed(1)} %`],
    ['Node.js', process.version],
  ];
  console.log(`Agent footprint, step by step (${FLAGS.join(' ')}; ${cli.replace(`${ROOT}/`, '')})`);
  for (const [label, value] of rows) console.log(`  ${label!.padEnd(44)} ${value}`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
