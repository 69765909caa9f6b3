import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startBroker } from '../ingest/startBroker';
import { loadNow } from '../lib/machine';
import { cpuShare, sampleProcess } from '../lib/processSample';
import { profileWindow } from '../lib/profileWindow';
import { spawnEntry } from '../lib/spawnEntry';
import { round } from '../lib/stats';
import type { ProfileSummary } from '../lib/summarizeCpuProfile';
import type { LoadParameters, LoadResult } from './autocannonProcess';
import { startApiProcess } from './startApiProcess';

/** One endpoint under load, with the API process's CPU and peak RSS meanwhile. */
export type EndpointFigures = LoadResult & {
  route: string;
  /** Share of one core the API process used, and its CPU time per request, ms. */
  apiCpuShare: number;
  apiCpuMsPerRequest: number;
  apiRssMiB: number;
  /** Under `--profile`: where the API process's CPU time went during the measured run. */
  profile?: ProfileSummary;
};

/** What the index held while the API was measured, and where it came from. */
export type ApiPopulation = {
  twins: number;
  snapshots: number;
  telemetryDevices: number;
  /** How the index was filled. */
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
  loadAverage: number;
};

/** Parameters of {@link runApiBench}. */
export type ApiBenchParameters = {
  rpcUrl: string;
  deploymentFile: string;
  oracleKey: string;
  /** Holds API_ROLE: the API's broker login. */
  apiKey: string;
  /** An oracle data directory holding the twins (its index and IPFS store). */
  dataDir: string;
  /** How the data directory was filled (recorded with the figures). */
  source: string;
  workDir: string;
  connections: number;
  /** Seconds of measured load per endpoint. */
  durationSeconds: number;
  /** CPU-profile the API process during each measured run, writing `api-<endpoint>.cpuprofile` here. */
  profileDir?: string;
  log: (line: string) => void;
};

function population(dataDir: string, source: string): { deviceIds: string[]; population: ApiPopulation } {
  const db = new DatabaseSync(join(dataDir, 'index.sqlite'), { readOnly: true });
  try {
    const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    const deviceIds = (db.prepare('SELECT device_id AS id FROM twins').all() as { id: string }[]).map((r) => r.id);
    return {
      deviceIds,
      population: {
        twins: deviceIds.length,
        snapshots: count('SELECT count(*) AS n FROM snapshots'),
        telemetryDevices: count('SELECT count(*) AS n FROM latest_telemetry'),
        source,
      },
    };
  } finally {
    db.close();
  }
}

/**
 * Measures the API on a populated oracle data directory: runs it with its oracle (`npm run api -- --with-oracle`)
 * in one process, then drives `GET /api/v1/twins/:deviceId` (a random twin each time) and `GET /api/v1/twins?page=…`
 * (a random page) with autocannon from another process, one endpoint after the other.
 *
 * @example
 * const api = await runApiBench({ rpcUrl, deploymentFile, oracleKey, dataDir, source, workDir, connections: 10, durationSeconds: 10, log })
 */
export async function runApiBench(parameters: ApiBenchParameters): Promise<ApiBenchResult> {
  const { deviceIds, population: filled } = population(parameters.dataDir, parameters.source);
  const broker = await startBroker('aedes', {
    rpcUrl: parameters.rpcUrl,
    deploymentFile: parameters.deploymentFile,
    indexFile: join(parameters.dataDir, 'index.sqlite'),
  });
  try {
    const api = await startApiProcess({
      rpcUrl: parameters.rpcUrl,
      mqttUrl: broker.url,
      deploymentFile: parameters.deploymentFile,
      oracleKey: parameters.oracleKey,
      apiKey: parameters.apiKey,
      dataDir: parameters.dataDir,
      twins: filled.twins,
      env: { ORACLE_MQTT_PROTOCOL_VERSION: '4', ORACLE_MQTT_SHARED: 'false', ORACLE_MAX_CLOCK_SKEW_SECONDS: '86400' },
      profiler: parameters.profileDir !== undefined,
    });
    const profiler = parameters.profileDir ? profileWindow(api.process) : undefined;
    if (parameters.profileDir) mkdirSync(parameters.profileDir, { recursive: true });
    try {
      const sample = await fetch(`${api.origin}/api/v1/twins/${deviceIds[0]}`);
      const view = (await sample.json()) as { static?: unknown };
      filled.staticDocumentServed = sample.status === 200 && view.static !== null && view.static !== undefined;
      const pages = Math.max(1, Math.ceil(filled.twins / 20));
      const routes = {
        twin: deviceIds.map((id) => `/api/v1/twins/${id}`),
        page: Array.from({ length: pages }, (_, i) => `/api/v1/twins?page=${i + 1}`),
      };
      const figures: Partial<Record<keyof typeof routes, EndpointFigures>> = {};
      for (const [name, paths] of Object.entries(routes) as [keyof typeof routes, string[]][]) {
        const pathsFile = join(parameters.workDir, `api-${name}-paths.json`);
        writeFileSync(pathsFile, JSON.stringify(paths));
        const load: LoadParameters = {
          origin: api.origin,
          pathsFile,
          connections: parameters.connections,
          durationSeconds: parameters.durationSeconds,
        };
        const driver = spawnEntry({ entry: 'bench/api/autocannonProcess.ts', args: [JSON.stringify(load)] });
        const isMeasuring = (m: unknown) => ((m as { type?: string }).type === 'measuring' ? true : undefined);
        await driver.waitFor(isMeasuring, 5 * 60_000, `autocannon warm-up on ${name}`);
        await profiler?.start();
        const before = sampleProcess(api.process.pid);
        let peakRss = before?.rssMiB ?? Number.NaN;
        const sample = () => (peakRss = Math.max(peakRss, sampleProcess(api.process.pid)?.rssMiB ?? 0));
        const sampler = setInterval(sample, 500);
        const result = await driver
          .waitFor(
            (m) => ((m as { type?: string }).type === 'result' ? (m as { result: LoadResult }).result : undefined),
            10 * 60_000,
            `autocannon on ${name}`,
          )
          .finally(() => clearInterval(sampler));
        const after = sampleProcess(api.process.pid);
        const profile = profiler && (await profiler.stop(join(parameters.profileDir!, `api-${name}.cpuprofile`)));
        const route = name === 'twin' ? 'GET /api/v1/twins/:deviceId' : 'GET /api/v1/twins?page=…';
        const cpuMs = before && after ? after.cpuMs - before.cpuMs : Number.NaN;
        figures[name] = {
          route,
          ...result,
          apiCpuShare: round(cpuShare(before, after), 2),
          apiCpuMsPerRequest: round(cpuMs / Math.max(1, result.requests), 2),
          apiRssMiB: round(peakRss),
          ...(profile ? { profile } : {}),
        };
        parameters.log(
          `  ${route}: ${result.perSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
            `${result.non2xx} non-2xx, ${result.errors} errors`,
        );
      }
      await api.stop();
      return {
        population: filled,
        connections: parameters.connections,
        twin: figures.twin!,
        page: figures.page!,
        loadAverage: loadNow(),
      };
    } finally {
      await api.stop();
    }
  } finally {
    await broker.stop();
  }
}
