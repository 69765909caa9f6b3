/**
 * Drives HTTP load with autocannon in its own process (so the load generator never shares the API's CPU): a warm-up,
 * then `{ type: 'measuring' }` over IPC, the measured run, and `{ type: 'result', result }` ({@link LoadResult}).
 *
 * argv[2]: the {@link LoadParameters} as JSON. Each request's path is drawn at random from the paths file.
 *
 * @example
 * spawnEntry({ entry: 'bench/api/autocannonProcess.ts', args: [JSON.stringify({ origin, pathsFile, connections: 10, durationSeconds: 10 })] })
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** What to drive: an origin, the paths to request (one drawn at random per request), how hard and how long. */
export type LoadParameters = {
  origin: string;
  /** A JSON file holding the array of paths (too many for the command line). */
  pathsFile: string;
  connections: number;
  /** Seconds of measured load (autocannon counts whole seconds; its `amount` mode ends on a 1 s tick). */
  durationSeconds: number;
  /** Requests before measuring, to warm the server up (default 200). */
  warmup?: number;
};

/** What autocannon measured. */
export type LoadResult = {
  requests: number;
  /** Requests answered per second over the run. */
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses outside 2xx, connection errors and timeouts. */
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Mean response body bytes. */
  bytesPerResponse: number;
  seconds: number;
};

async function drive(parameters: LoadParameters, paths: string[], amount?: number): Promise<autocannon.Result> {
  return autocannon({
    url: parameters.origin,
    connections: parameters.connections,
    ...(amount !== undefined ? { amount } : { duration: parameters.durationSeconds }),
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: paths[Math.floor(Math.random() * paths.length)]! }),
      },
    ],
  });
}

async function main(): Promise<void> {
  const parameters = JSON.parse(process.argv[2]!) as LoadParameters;
  const paths = JSON.parse(readFileSync(parameters.pathsFile, 'utf8')) as string[];
  await drive(parameters, paths, parameters.warmup ?? 200);
  process.send?.({ type: 'measuring' });
  const began = performance.now();
  const result = await drive(parameters, paths);
  // autocannon's own duration is whole seconds: too coarse for a short run.
  const seconds = (performance.now() - began) / 1000;
  const requests = result.requests.total;
  const load: LoadResult = {
    requests,
    perSecond: Math.round((requests / seconds) * 10) / 10,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: requests === 0 ? 0 : Math.round(result.throughput.total / requests),
    seconds: Math.round(seconds * 10) / 10,
  };
  process.send?.({ type: 'result', result: load });
  setTimeout(() => process.exit(0), 100);
}

main().catch((error: unknown) => {
  process.stderr.write(`autocannon: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
