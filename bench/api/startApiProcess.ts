import { join } from 'node:path';
import { freePort, pollUntil, waitForPort } from '../lib/ports';
import { spawnEntry, type EntryProcess } from '../lib/spawnEntry';

/**
 * The twin view cache's state from the API's `/metrics`: `warming`, `ready`, or `unknown` (an API without the gauge).
 *
 * @example
 * await viewCacheState('http://127.0.0.1:8080') // 'ready'
 */
export async function viewCacheState(origin: string): Promise<'warming' | 'ready' | 'unknown'> {
  const response = await fetch(`${origin}/api/v1/metrics`).catch(() => undefined);
  if (response?.status !== 200) return 'unknown';
  const match = /^twin_api_twin_view_cache_warming (\d+)/m.exec(await response.text());
  return match === null ? 'unknown' : match[1] === '1' ? 'warming' : 'ready';
}

/** The API with an oracle in its process (`npm run api -- --with-oracle`), in a child process. */
export type ApiProcess = {
  origin: string;
  process: EntryProcess;
  /** Seconds from the API listing every twin to its twin view cache being warm (0: nothing to wait for). */
  warmSeconds: number;
  stop(): Promise<void>;
};

/** Parameters of {@link startApiProcess}. */
export type StartApiProcessParameters = {
  rpcUrl: string;
  mqttUrl: string;
  deploymentFile: string;
  oracleKey: string;
  /** Holds API_ROLE: the API's broker login (`API_MQTT_KEY`). */
  apiKey: string;
  /** The oracle data directory (its embedded IPFS store; the API's own files go under `<dataDir>/api`). */
  dataDir: string;
  /** The store to serve: the oracle in the API's process and the API share it (`DATABASE_URL`). */
  databaseUrl: string;
  /** Wait until the API lists at least this many twins. */
  twins: number;
  /** Extra environment (e.g. the MQTT protocol of the oracle for aedes). */
  env?: Record<string, string>;
  /** Preload the profiler hook, to CPU-profile the API over a window (`profileWindow`). */
  profiler?: boolean;
  /** Run the API of another checkout (`--api-compare`; default this repository's). */
  root?: string;
};

/**
 * Runs `api/src/cli.ts --with-oracle` (what `npm run api -- --with-oracle` runs) on a free port, on the store of
 * `databaseUrl` and the oracle data directory `dataDir`, with the per-client rate limit raised out of the way
 * (autocannon is one client: the default 600 a minute would answer 429), and waits until it lists `twins` twins.
 *
 * @example
 * const api = await startApiProcess({ rpcUrl, mqttUrl, deploymentFile, oracleKey, apiKey, dataDir, databaseUrl, twins: 10_000 })
 */
export async function startApiProcess(parameters: StartApiProcessParameters): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawnEntry({
    entry: 'api/src/cli.ts',
    args: ['--with-oracle'],
    profiler: parameters.profiler ?? false,
    ...(parameters.root !== undefined ? { root: parameters.root } : {}),
    env: {
      ...process.env,
      DATABASE_URL: parameters.databaseUrl,
      RPC_URL: parameters.rpcUrl,
      MQTT_URL: parameters.mqttUrl,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_DEPLOYMENT_FILE: parameters.deploymentFile,
      API_DATA_DIR: join(parameters.dataDir, 'api'),
      API_RATE_LIMIT_PER_MINUTE: String(2 ** 31 - 1),
      ORACLE_ORACLE_KEY: parameters.oracleKey,
      ORACLE_DEPLOYMENT_FILE: parameters.deploymentFile,
      ORACLE_DATA_DIR: parameters.dataDir,
      API_MQTT_KEY: parameters.apiKey,
      ...parameters.env,
    },
  });
  const origin = `http://127.0.0.1:${port}`;
  let warmSeconds = 0;
  try {
    await Promise.race([
      waitForPort(port, 180_000),
      child.exited.then((code) => {
        throw new Error(`the API exited (${code}):\n${child.stderrTail().slice(-2_000)}`);
      }),
    ]);
    const listed = await pollUntil(
      async () => {
        const response = await fetch(`${origin}/api/v1/twins?pageSize=1`).catch(() => undefined);
        if (response?.status !== 200) return false;
        return ((await response.json()) as { total: number }).total >= parameters.twins;
      },
      300_000,
      500,
    );
    if (!listed) throw new Error(`the API does not list ${parameters.twins} twins`);
    const listedAt = Date.now();
    // A twin view cache that warms at start (API_TWIN_VIEW_CACHE_WARM): measure the steady state, once it is warm.
    const warm = await pollUntil(async () => (await viewCacheState(origin)) !== 'warming', 300_000, 250);
    if (!warm) throw new Error('the twin view cache is still warming after 300 s');
    warmSeconds = (Date.now() - listedAt) / 1000;
  } catch (error) {
    await child.kill(5_000);
    throw error;
  }
  return { origin, process: child, warmSeconds, stop: () => child.kill(15_000) };
}
