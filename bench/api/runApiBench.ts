import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../store/src';
import { startBroker } from '../ingest/startBroker';
import type { BenchDatabase } from '../lib/benchDatabases';
import { loadNow } from '../lib/machine';
import { profileWindow } from '../lib/profileWindow';
import { spawnEntry } from '../lib/spawnEntry';
import { round } from '../lib/stats';
import { measureEndpoint, type EndpointFigures } from './measureEndpoint';
import { startApiProcess } from './startApiProcess';

export type { EndpointFigures } from './measureEndpoint';

/** What the store held while the API was measured, and where it came from. */
export type ApiPopulation = {
  twins: number;
  snapshots: number;
  telemetryDevices: number;
  /** How the store was filled. */
  source: string;
  /** Whether a twin's view served its static document from IPFS (checked once before the load). */
  staticDocumentServed?: boolean;
};

/** The API benchmark's figures. */
export type ApiBenchResult = {
  population: ApiPopulation;
  connections: number;
  /** `GET /api/v1/twins/:deviceId`, a random twin per request. */
  twin: EndpointFigures;
  /** `GET /api/v1/twins?page=…`, a random page (20 twins, the default) per request. */
  page: EndpointFigures;
  /**
   * The baseline, same run, same load: a bare `node:http` server answering every twin path with one twin view's
   * bytes (`bench/api/bareHttpProcess.ts`), measured after the API stopped.
   */
  bare: EndpointFigures;
  /** The twin view's requests per second as a share of the bare server's (1: as fast as Node's HTTP stack alone). */
  twinToBare: number;
  /**
   * The twin view cache over the twin endpoint's warm-up and measured run (`twin_api_twin_view_cache_reads_total`):
   * views served from memory and read from the index; undefined when the API's metrics did not show it.
   */
  twinCache?: { hits: number; misses: number; hitRate: number };
  /** Seconds from the API listing every twin to its twin view cache being warm (the run `twin` comes from). */
  warmSeconds: number;
  /**
   * Every measured run of the twin endpoint (`--api-runs`, and with `--api-compare` the other tree's API between
   * them, one fresh API process each): `twin` is this tree's median by requests per second.
   */
  runs: TwinRun[];
  loadAverage: number;
};

/** One measured run of `GET /twins/:deviceId` on a fresh API process. */
export type TwinRun = {
  /** `this`, or the directory of the other tree (`--api-compare`). */
  tree: string;
  run: number;
  twin: EndpointFigures;
  twinCache?: { hits: number; misses: number; hitRate: number };
  warmSeconds: number;
  /** The 1-minute load average when the run ended. */
  loadAverage: number;
};

/** Parameters of {@link runApiBench}. */
export type ApiBenchParameters = {
  rpcUrl: string;
  deploymentFile: string;
  oracleKey: string;
  /** Holds API_ROLE: the API's broker login. */
  apiKey: string;
  /** An oracle data directory holding the twins' blobs (its IPFS store). */
  dataDir: string;
  /** The oracle's store holding the twins: the API gets it as `DATABASE_URL`. */
  database: BenchDatabase;
  /** How the store was filled (recorded with the figures). */
  source: string;
  workDir: string;
  connections: number;
  /** Seconds of measured load per endpoint. */
  durationSeconds: number;
  /** CPU-profile the API process during the first run of each endpoint, writing `api-<endpoint>.cpuprofile` here. */
  profileDir?: string;
  /** Runs of the twin endpoint, each on a fresh API process (default 1). */
  runs?: number;
  /** Another checkout (e.g. the commit before a change): its API measured the same way, alternating with this one. */
  compareRoot?: string;
  log: (line: string) => void;
};

async function population(index: Store, source: string): Promise<{ deviceIds: string[]; population: ApiPopulation }> {
  const count = async (sql: string) => Number((await index.query<{ n: number }>(sql)).rows[0]!.n);
  const deviceIds = (await index.query<{ id: string }>('SELECT device_id AS id FROM twins')).rows.map((r) => r.id);
  return {
    deviceIds,
    population: {
      twins: deviceIds.length,
      snapshots: await count('SELECT count(*)::float8 AS n FROM snapshots'),
      telemetryDevices: await count('SELECT count(*)::float8 AS n FROM latest_telemetry'),
      source,
    },
  };
}

/** The twin view cache's counters, from the API's `/metrics`. */
async function twinCacheReads(origin: string): Promise<{ hits: number; misses: number } | undefined> {
  const text = await (await fetch(`${origin}/api/v1/metrics`)).text();
  const read = (result: string) =>
    Number(new RegExp(`^twin_api_twin_view_cache_reads_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1]);
  const counts = { hits: read('hit'), misses: read('miss') };
  return Number.isFinite(counts.hits) && Number.isFinite(counts.misses) ? counts : undefined;
}

const log = (parameters: ApiBenchParameters, figures: EndpointFigures) =>
  parameters.log(
    `  ${figures.route}: ${figures.perSecond} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ` +
      `${figures.non2xx} non-2xx, ${figures.errors} errors`,
  );

/**
 * Measures the API on a populated store: runs it with its oracle (`npm run api -- --with-oracle`, the run's database
 * as `DATABASE_URL`, the oracle data directory's IPFS store) in one process, then drives `GET /api/v1/twins/:deviceId`
 * (a random twin each time) and `GET /api/v1/twins?page=…` (a random page) with autocannon from another process, one
 * endpoint after the other; then, the API stopped, a bare `node:http` server answering the twin paths with one twin
 * view's bytes, under the same load: the ratio of the two is the API's cost beside Node's HTTP stack.
 *
 * @example
 * const api = await runApiBench({ rpcUrl, deploymentFile, oracleKey, apiKey, dataDir, database, source, workDir, connections: 10, durationSeconds: 10, log })
 */
export async function runApiBench(parameters: ApiBenchParameters): Promise<ApiBenchResult> {
  const index = await parameters.database.open({ schema: 'check' });
  const { deviceIds, population: filled } = await population(index, parameters.source).finally(() => index.close());
  if (deviceIds.length === 0) throw new Error(`the store ${parameters.database.name} holds no twin`);
  const broker = await startBroker('aedes', {
    rpcUrl: parameters.rpcUrl,
    deploymentFile: parameters.deploymentFile,
    databaseUrl: parameters.database.url,
  });
  const load = {
    workDir: parameters.workDir,
    connections: parameters.connections,
    durationSeconds: parameters.durationSeconds,
  };
  const bodyFile = join(parameters.workDir, 'api-twin-view.json');
  const twinPaths = deviceIds.map((id) => `/api/v1/twins/${id}`);
  const startApi = (root: string | undefined, profiler: boolean) =>
    startApiProcess({
      rpcUrl: parameters.rpcUrl,
      mqttUrl: broker.url,
      deploymentFile: parameters.deploymentFile,
      oracleKey: parameters.oracleKey,
      apiKey: parameters.apiKey,
      dataDir: parameters.dataDir,
      databaseUrl: parameters.database.url,
      twins: filled.twins,
      env: { ORACLE_MQTT_PROTOCOL_VERSION: '4', ORACLE_MQTT_SHARED: 'false', ORACLE_MAX_CLOCK_SKEW_SECONDS: '86400' },
      profiler,
      ...(root !== undefined ? { root } : {}),
    });
  try {
    const runs: TwinRun[] = [];
    let page: EndpointFigures | undefined;
    const trees = [undefined, ...(parameters.compareRoot !== undefined ? [parameters.compareRoot] : [])];
    for (let run = 1; run <= (parameters.runs ?? 1); run++) {
      // Alternate which tree goes first, so that neither always gets the quieter slot.
      for (const root of run % 2 === 1 ? trees : [...trees].reverse()) {
        const first = run === 1 && root === undefined;
        const profiling = first && parameters.profileDir !== undefined;
        const api = await startApi(root, profiling);
        try {
          const profiler = profiling
            ? { window: profileWindow(api.process), profileDir: parameters.profileDir! }
            : undefined;
          if (profiler) mkdirSync(profiler.profileDir, { recursive: true });
          if (first) {
            const sample = await fetch(`${api.origin}/api/v1/twins/${deviceIds[0]}`);
            const body = Buffer.from(await sample.arrayBuffer());
            const view = JSON.parse(body.toString('utf8')) as { static?: unknown };
            filled.staticDocumentServed = sample.status === 200 && view.static !== null && view.static !== undefined;
            writeFileSync(bodyFile, body);
          }
          const endpoint = { origin: api.origin, pid: api.process.pid, ...load, ...(profiler ? { profiler } : {}) };
          const cacheBefore = await twinCacheReads(api.origin);
          const twin = await measureEndpoint({
            ...endpoint,
            name: 'twin',
            route: 'GET /api/v1/twins/:deviceId',
            paths: twinPaths,
          });
          const tree = root ?? 'this';
          parameters.log(`  run ${run}, ${tree} (warm in ${round(api.warmSeconds, 1)} s):`);
          log(parameters, twin);
          const cacheAfter = await twinCacheReads(api.origin);
          let twinCache: TwinRun['twinCache'];
          if (cacheBefore && cacheAfter) {
            const hits = cacheAfter.hits - cacheBefore.hits;
            const misses = cacheAfter.misses - cacheBefore.misses;
            twinCache = { hits, misses, hitRate: round(hits / Math.max(1, hits + misses), 3) };
            parameters.log(
              `  twin view cache: ${hits} hits, ${misses} misses (${round(twinCache.hitRate * 100, 1)} %)`,
            );
          }
          runs.push({
            tree,
            run,
            twin,
            ...(twinCache ? { twinCache } : {}),
            warmSeconds: api.warmSeconds,
            loadAverage: loadNow(),
          });
          if (first) {
            const pages = Math.max(1, Math.ceil(filled.twins / 20));
            page = await measureEndpoint({
              ...endpoint,
              name: 'page',
              route: 'GET /api/v1/twins?page=…',
              paths: Array.from({ length: pages }, (_, i) => `/api/v1/twins?page=${i + 1}`),
            });
            log(parameters, page);
          }
        } finally {
          await api.stop();
        }
      }
    }
    const mine = runs.filter((run) => run.tree === 'this').sort((a, b) => a.twin.perSecond - b.twin.perSecond);
    const median = mine[Math.floor((mine.length - 1) / 2)]!;
    const twin = median.twin;
    const twinCache = median.twinCache;
    const server = spawnEntry({ entry: 'bench/api/bareHttpProcess.ts', args: [bodyFile] });
    try {
      const { port } = await server.waitFor(
        (m) => ((m as { type?: string }).type === 'ready' ? (m as { port: number }) : undefined),
        60_000,
        'the bare node:http server',
      );
      const bare = await measureEndpoint({
        ...load,
        name: 'bare',
        route: 'bare node:http, one twin view',
        origin: `http://127.0.0.1:${port}`,
        pid: server.pid,
        paths: deviceIds.map((id) => `/api/v1/twins/${id}`),
      });
      log(parameters, bare);
      return {
        population: filled,
        connections: parameters.connections,
        twin,
        page: page!,
        bare,
        twinToBare: round(twin.perSecond / Math.max(1e-9, bare.perSecond), 3),
        ...(twinCache ? { twinCache } : {}),
        warmSeconds: median.warmSeconds,
        runs,
        loadAverage: loadNow(),
      };
    } finally {
      await server.kill(5_000);
    }
  } finally {
    await broker.stop();
  }
}
