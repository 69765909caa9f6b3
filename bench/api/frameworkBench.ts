/**
 * `npm run bench:framework`: the framework experiment of issue 15, side by side in one run. Each server answers
 * `GET /api/v1/twins/:deviceId` (a random DeviceID of 10,000 a request) with the same pre-serialised twin view and
 * its ETag, in a process of its own, driven by autocannon from another (a 200-request warm-up, then the measured
 * run): a bare `node:http` server, Express 5 with the API's routing, Express with the API's middleware too, and
 * Fastify 5 (`bench/api/frameworkProcess.ts`). Runs alternate their order; the median of each is printed, with
 * the CPU each server spent per request.
 *
 * Options: `--seconds N` (10), `--runs N` (3), `--connections N` (10), `--body FILE` (default a synthetic twin view
 * of 3,052 bytes, the mean the API benchmark measured at 10,000 twins), `--out FILE` (the figures as JSON).
 *
 * @example
 * npm run bench:framework -- --seconds 10 --runs 3
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNow } from '../lib/machine';
import { spawnEntry } from '../lib/spawnEntry';
import { measureEndpoint, type EndpointFigures } from './measureEndpoint';

/** The servers compared (frameworkProcess.ts's frameworks, and the bare baseline). */
const SERVERS = ['bare', 'express', 'express-stack', 'fastify'] as const;
type ServerName = (typeof SERVERS)[number];

function option(argv: string[], flag: string, fallback: number): number {
  const at = argv.indexOf(flag);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${flag} must be a positive integer`);
  return value;
}

/** A twin view of the API's shape, `bytes` long. */
function syntheticView(bytes: number): Buffer {
  const view = {
    twin: { deviceId: `0x${'ab'.repeat(32)}`, owner: `0x${'11'.repeat(20)}`, state: 'active', access: 'public' },
    static: { model: 'bench', description: '' },
    staticError: null,
    latestSnapshot: null,
    latestTelemetry: null,
    updates: [],
    stateHistory: [],
    alerts: [],
    owner: null,
    manufacturer: null,
  };
  const length = Buffer.byteLength(JSON.stringify(view));
  view.static.description = 'x'.repeat(Math.max(0, bytes - length));
  return Buffer.from(JSON.stringify(view));
}

async function measure(
  server: ServerName,
  bodyFile: string,
  load: { workDir: string; connections: number; durationSeconds: number },
  paths: string[],
): Promise<EndpointFigures> {
  const child =
    server === 'bare'
      ? spawnEntry({ entry: 'bench/api/bareHttpProcess.ts', args: [bodyFile] })
      : spawnEntry({ entry: 'bench/api/frameworkProcess.ts', args: [server, bodyFile] });
  try {
    const { port } = await child.waitFor(
      (m) => ((m as { type?: string }).type === 'ready' ? (m as { port: number }) : undefined),
      60_000,
      `the ${server} server`,
    );
    return await measureEndpoint({
      ...load,
      name: server,
      route: server,
      origin: `http://127.0.0.1:${port}`,
      pid: child.pid,
      paths,
    });
  } finally {
    await child.kill(5_000);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = option(argv, '--runs', 3);
  const workDir = mkdtempSync(join(tmpdir(), 'twin-framework-'));
  const load = {
    workDir,
    connections: option(argv, '--connections', 10),
    durationSeconds: option(argv, '--seconds', 10),
  };
  const bodyAt = argv.indexOf('--body');
  const bodyFile = bodyAt === -1 ? join(workDir, 'view.json') : argv[bodyAt + 1]!;
  if (bodyAt === -1) writeFileSync(bodyFile, syntheticView(3_052));
  const paths = Array.from({ length: 10_000 }, (_, i) => `/api/v1/twins/0x${i.toString(16).padStart(64, '0')}`);
  const figures = new Map<ServerName, (EndpointFigures & { loadAverage: number })[]>(SERVERS.map((s) => [s, []]));
  try {
    for (let run = 1; run <= runs; run++) {
      for (const server of run % 2 === 1 ? SERVERS : [...SERVERS].reverse()) {
        const result = await measure(server, bodyFile, load, paths);
        figures.get(server)!.push({ ...result, loadAverage: loadNow() });
        process.stderr.write(
          `run ${run} ${server}: ${result.perSecond} req/s, p99 ${result.p99Ms} ms, ` +
            `${result.apiCpuMsPerRequest} ms CPU a request, load ${loadNow()}\n`,
        );
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const summary = SERVERS.map((server) => {
    const all = [...figures.get(server)!].sort((a, b) => a.perSecond - b.perSecond);
    const median = all[Math.floor((all.length - 1) / 2)]!;
    return {
      server,
      perSecond: all.map((f) => f.perSecond),
      medianPerSecond: median.perSecond,
      p99Ms: median.p99Ms,
      cpuMsPerRequest: median.apiCpuMsPerRequest,
      loadAverage: all.map((f) => f.loadAverage),
    };
  });
  for (const row of summary) {
    process.stdout.write(
      `${row.server.padEnd(14)} ${String(row.medianPerSecond).padStart(9)} req/s (runs ${row.perSecond.join(', ')}), ` +
        `p99 ${row.p99Ms} ms, ${row.cpuMsPerRequest} ms CPU a request\n`,
    );
  }
  const outAt = argv.indexOf('--out');
  if (outAt !== -1) writeFileSync(argv[outAt + 1]!, `${JSON.stringify({ runs, ...load, summary }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
