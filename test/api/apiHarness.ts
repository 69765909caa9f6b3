import { id } from 'ethers';
import { API_ROLE_NAME } from '../../twin-core/src/broker/principal';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { startServices, type RunningServices } from '../../system/startServices';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { freePort } from '../helpers/brokers';

/** The relayer's account on the test node (not in the cast). */
export const RELAYER_ACCOUNT = 8;

/** A chain with minted twins, and the whole off-chain system on it: embedded broker, oracle, API, devices. */
export type ApiHarness = {
  harness: OracleHarness;
  services: RunningServices;
  /** e.g. `http://127.0.0.1:41234/api/v1`. */
  api: string;
  /** The twin transferred to Alice (device 0). */
  aliceTwin: string;
  /** Twins still owned by the manufacturer. */
  manufacturerTwins: string[];
  wallet(account: number): Wallet;
  /** JSON request to the API: status and parsed body. */
  request(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
};

/**
 * Starts a real Hardhat node with the registry and `devices` minted twins (device 0 transferred to Alice), then
 * the embedded broker, the oracle, the API (with a relayer) and the simulated devices through `startServices`.
 *
 * @example
 * const h = await startApiHarness('api-read', 3)
 * const networked = await startApiHarness('api-alone', 2, { IPFS_SWARM_KEY_FILE: keyFile }) // extra ORACLE_*, API_*, IPFS_*
 */
export async function startApiHarness(
  seed: string,
  devices: number,
  environment: NodeJS.ProcessEnv = {},
): Promise<ApiHarness> {
  const harness = await startOracleHarness(seed, devices);
  const manufacturer = harness.registry.twins.connect(harness.node.wallet(CAST.manufacturer));
  const [first, ...rest] = harness.devices.map((device) => device.deviceId);
  await mined(
    manufacturer['safeTransferFrom(address,address,uint256)'](
      harness.node.wallet(CAST.manufacturer).address,
      harness.node.wallet(CAST.alice).address,
      first!,
    ),
  );
  // The API logs in to the broker with the relayer's key, which holds API_ROLE.
  await mined(harness.registry.entities.grantRole(id(API_ROLE_NAME), harness.node.wallet(RELAYER_ACCOUNT).address));
  const services = await startServices({
    rpcUrl: harness.node.url,
    deploymentFile: harness.deploymentFile,
    oracleKey: harness.node.wallet(CAST.oracle).privateKey,
    relayerKey: harness.node.wallet(RELAYER_ACCOUNT).privateKey,
    dataDir: join(harness.directory, 'system'),
    brokerPort: await freePort(),
    apiPort: 0,
    simulator: { devices, seed, scenario: 'normal', ratePerSecond: 2, snapshotIntervalSeconds: 2 },
    // Every service on the test file's database (the harness's store), as one PostgreSQL serves them in production.
    index: harness.index,
    environment: { ORACLE_BATCH_SIZE: '8', ORACLE_BATCH_AGE_MS: '500', ...environment },
  });
  const api = `${services.api.url}/api/v1`;
  return {
    harness,
    services,
    api,
    aliceTwin: first!,
    manufacturerTwins: rest,
    wallet: (account) => harness.node.wallet(account),
    async request(path, init) {
      const response = await fetch(`${api}${path}`, {
        ...init,
        headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) },
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: metrics, events
      }
      return { status: response.status, body, headers: response.headers };
    },
    async stop() {
      await services.stop();
      await harness.stop();
    },
  };
}

/**
 * Polls `read` every `intervalMs` (default 200) until `accept` holds (at most `timeoutMs`), returning the accepted
 * value.
 *
 * @example
 * const twin = await eventually(() => h.request(`/twins/${id}`), (r) => r.body.latestSnapshot !== null, 20_000)
 */
export async function eventually<value>(
  read: () => Promise<value>,
  accept: (value: value) => boolean,
  timeoutMs: number,
  what = 'condition',
  intervalMs = 200,
): Promise<value> {
  const deadline = Date.now() + timeoutMs;
  let last: value | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

/**
 * Opens `GET /events` and resolves with the first event named `name` whose data passes `accept`.
 *
 * @example
 * const event = await nextEvent(`${api}/events?deviceId=${id}`, 'telemetry', () => true, 10_000)
 */
export async function nextEvent(
  url: string,
  name: string,
  accept: (data: any) => boolean,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ contentType: string | null; data: any; id: number | undefined }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal, headers });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        if (event === name && data !== undefined && accept(JSON.parse(data))) {
          return {
            contentType: response.headers.get('content-type'),
            data: JSON.parse(data),
            id: id === undefined ? undefined : Number(id),
          };
        }
      }
    }
    throw new Error(`the stream ended before a ${name} event`);
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`no ${name} event within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
