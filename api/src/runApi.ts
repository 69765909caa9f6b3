import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { connect, type IClientOptions } from 'mqtt';
import type { BrokerAuthStats } from '../../broker/src';
import { brokerClientId, brokerCredentials, brokerRealm, keepBrokerCredentialsFresh } from '../../twin-core/src/broker';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { privateKeyToAddress } from '../../twin-core/src/signing/deviceKey';
import { useLinearGetUrl } from '../../oracle/src';
import {
  consumeSignInNonce,
  getEntity,
  sharedSecret,
  startStoreFromEnvironment,
  withAdvisoryLock,
  type Store,
} from '../../store/src';
import { type BlobStore, createBlobStore, ipfsConfigOf, sharesBlobs } from '../../blobs/src';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { createSiweAuth } from './auth/createSiweAuth';
import type { ApiConfig } from './config';
import type { ApiContext } from './context';
import { createApp } from './createApp';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { createStoreFeed } from './feed/createStoreFeed';
import { createMetrics, type OracleStats } from './metrics/createMetrics';
import { createRelayer } from './relay/createRelayer';
import { createRelayBudget } from './relay/relayBudget';
import { createDocumentCache } from './views/createDocumentCache';
import { createTwinViewCache } from './views/createTwinViewCache';
import { renderTwinView } from './views/twinView';
import { createDeviceFollower } from './commands/createDeviceFollower';

/** A log line sink; never given secrets. */
export type ApiLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Parameters of {@link runApi}. */
export type RunApiParameters = {
  config: ApiConfig;
  log?: ApiLog;
  /**
   * The index (the PostgreSQL store) and IPFS store when the oracle runs in this process (`npm start`); otherwise the
   * API starts its own store from the environment (`DATABASE_URL`, else an embedded server under
   * `<dataDir>/postgres`, which only this API uses) and reads blobs through Kubo (`ipfsApiUrl`) or its own embedded node on
   * the private IPFS network (`ipfsSwarmKeyFile`, `ipfsPeers`), under `<dataDir>/ipfs`. With the embedded broker in
   * the process too, its counters (`brokerStats`) go on `/metrics`.
   */
  shared?: {
    index: Store;
    store: BlobStore;
    oracleStats?: OracleStats;
    brokerStats?: () => BrokerAuthStats | undefined;
  };
};

/** A running API. */
export type RunningApi = {
  /** e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  server: Server;
  context: ApiContext;
  /** Closes the event streams and the server, then what the API opened itself. */
  stop(): Promise<void>;
};

const ANCHOR_ABI = [
  'function verifySnapshot(bytes32 root, bytes32[] proof, uint256 deviceId, uint64 sequence, bytes32 snapshotHash) view returns (bool)',
];

/**
 * Runs the API and the dashboard: binds the port, connects to the chain and the broker, follows the index for live
 * events, and serves until stopped.
 *
 * @example
 * const api = await runApi({ config: loadApiConfig(), log })
 * console.log(`dashboard at ${api.url}`)
 */
export async function runApi(parameters: RunApiParameters): Promise<RunningApi> {
  const { config, log = () => undefined } = parameters;
  useLinearGetUrl();
  if (parameters.shared === undefined && !sharesBlobs(config)) {
    throw new BaseError('A standalone API reads blobs from other processes: set IPFS_SWARM_KEY_FILE or IPFS_API_URL.', {
      details:
        "an offline node would hold none of the oracle's blobs: join the oracle's private IPFS network " +
        "(IPFS_SWARM_KEY_FILE and IPFS_PEERS naming the oracle's node, see blobs/README.md), point both at one Kubo " +
        'node (IPFS_API_URL), or run the API with the oracle (npm run api -- --with-oracle, or npm start)',
    });
  }
  const deployment = readDeployment(config.deploymentFile);
  // Opened before the port: from listen() to the request handler below nothing awaits, so no request is lost.
  const index = parameters.shared?.index ?? (await openOwnIndex(config, log));
  // The session key every instance on the index shares (issue 15: a session from one instance is good on all), unless
  // configured: API_JWT_SECRET keeps it out of the database.
  let secret: Uint8Array;
  try {
    secret =
      config.jwtSecret === undefined
        ? await sharedSecret(index, 'api-session')
        : new TextEncoder().encode(config.jwtSecret);
  } catch (error) {
    if (parameters.shared === undefined) await index.close();
    throw error;
  }
  let store: BlobStore;
  try {
    store =
      parameters.shared?.store ?? (await createBlobStore({ ...ipfsConfigOf(config), dataDir: config.dataDir, log }));
  } catch (error) {
    if (parameters.shared === undefined) await index.close();
    throw error;
  }
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch(async (error: unknown) => {
    if (parameters.shared === undefined) await Promise.all([store.close(), index.close()]);
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const publicUrl = new URL(config.publicUrl ?? url);

  // No response cache: two relayed sends within ethers' default 250 ms would otherwise read the same account nonce.
  const provider = new JsonRpcProvider(config.rpcUrl, deployment.chainId, {
    staticNetwork: true,
    pollingInterval: 1_000,
    cacheTimeout: -1,
  });
  const feed = createStoreFeed(index, {
    onError: (error) => log('warn', 'event feed error', { error: (error as Error).message }),
  });
  const documents = createDocumentCache({ store, maxBytes: Math.round(config.documentCacheMegabytes * 1024 * 1024) });
  const views = createTwinViewCache({
    index,
    feed,
    render: (rows, variant) => renderTwinView({ documents }, rows, variant),
    maxEntries: config.twinViewCacheEntries,
    maxBytes: Math.round(config.twinViewCacheMegabytes * 1024 * 1024),
    ttlMs: config.twinViewCacheTtlSeconds * 1_000,
    warm: config.twinViewCacheWarm,
    warmVariant: config.openReads ? 'full' : 'public',
  });
  const relayer =
    config.relayerKey === undefined
      ? undefined
      : createRelayer({
          wallet: new Wallet(config.relayerKey, provider),
          deployment,
          maxGas: BigInt(config.relayMaxGas),
          // Budgets and sends shared by every instance on the index (issue 15): one budget per entity, one nonce
          // sequence per relayer key.
          budget: createRelayBudget({
            index,
            windowSeconds: config.relayBudgetWindowSeconds,
            gas: BigInt(config.relayBudgetGas),
            requests: config.relayBudgetRequests,
            reservationSeconds: config.relayReservationSeconds,
            onError: (error, what) =>
              log('warn', `relay budget ${what} failed: the reservation stays counted at its gas until it expires`, {
                error: (error as Error).message,
              }),
          }),
          sendLock: (task) =>
            withAdvisoryLock(
              index,
              `relayer-send:${privateKeyToAddress(config.relayerKey as Hex).toLowerCase()}`,
              task,
            ),
        });
  const metrics = createMetrics({
    ...(relayer ? { relayer } : {}),
    index,
    feed,
    documentStats: documents.stats,
    viewStats: () => views.stats(),
    // The device follower starts with the broker connection below; its counters are read only on a scrape.
    deviceStats: () => devices.stats(),
    ...(parameters.shared?.oracleStats ? { oracleStats: parameters.shared.oracleStats } : {}),
    ...(parameters.shared?.brokerStats ? { brokerStats: parameters.shared.brokerStats } : {}),
  });

  // The broker credentials: principal `api.<address>` with a fresh client ID per process (no persistent session).
  const mqttKey = (config.mqttKey ?? config.relayerKey) as Hex | undefined;
  const credentials =
    mqttKey === undefined
      ? undefined
      : brokerCredentials({
          principal: { kind: 'api', id: privateKeyToAddress(mqttKey) },
          key: mqttKey,
          clientId: brokerClientId({ kind: 'api', id: privateKeyToAddress(mqttKey) }),
          realm: brokerRealm(deployment),
          ...(config.mqttUsername ? { username: config.mqttUsername } : {}),
          ...(config.mqttPassword ? { password: config.mqttPassword } : {}),
        });
  const mqttOptions: IClientOptions = {
    protocolVersion: config.mqttProtocolVersion,
    clientId: credentials?.clientId ?? `twin-api-${process.pid}-${randomBytes(3).toString('hex')}`,
    reconnectPeriod: 1_000,
    connectTimeout: 5_000,
    ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
    ...(credentials === undefined && config.mqttUsername ? { username: config.mqttUsername } : {}),
    ...(credentials === undefined && config.mqttPassword ? { password: config.mqttPassword } : {}),
    ...(config.mqttCaFile ? { ca: readFileSync(config.mqttCaFile) } : {}),
    ...(config.mqttCertFile ? { cert: readFileSync(config.mqttCertFile) } : {}),
    ...(config.mqttKeyFile ? { key: readFileSync(config.mqttKeyFile) } : {}),
    rejectUnauthorized: config.mqttRejectUnauthorized,
  };
  if (credentials === undefined && config.mqttPassword === undefined) {
    // Without a key the API connects anonymously: a broker with authentication (npm start's, Mosquitto from
    // broker-config) refuses it at every reconnect, and commands and notifications stop. Said once, at start.
    log('warn', 'no MQTT key: set API_MQTT_KEY (or API_RELAYER_KEY), a key holding API_ROLE; connecting anonymously', {
      mqttUrl: config.mqttUrl,
    });
  }
  const mqtt = connect(config.mqttUrl, mqttOptions);
  if (credentials) keepBrokerCredentialsFresh(mqtt, credentials);
  let brokerError = 'connecting';
  mqtt.on('error', (error) => {
    // A refused login repeats at every reconnect: logged once per distinct reason.
    if (error.message !== brokerError)
      log('warn', 'broker connection failed', { error: error.message, mqttUrl: config.mqttUrl });
    brokerError = error.message;
  });
  mqtt.on('offline', () => (brokerError = brokerError === 'connecting' ? 'unreachable' : brokerError));
  mqtt.on('connect', () => (brokerError = ''));
  // The devices' signed status (capabilities) and answers to commands; open commands expire on time.
  const devices = createDeviceFollower({
    index,
    onError: (error, topic) => log('warn', 'device message not handled', { topic, error: (error as Error).message }),
  });
  mqtt.on('connect', () =>
    mqtt.subscribe(
      devices.topics,
      { qos: 1 },
      (error) => error && log('warn', 'device topics refused', { error: error.message }),
    ),
  );
  mqtt.on('message', (topic, payload) => {
    void devices.onMessage(topic, payload);
  });
  let expiring = false;
  const expiryTimer = setInterval(() => {
    if (expiring) return;
    expiring = true;
    devices
      .expire()
      .catch((error: unknown) => log('warn', 'command expiry failed', { error: (error as Error).message }))
      .finally(() => (expiring = false));
  }, 1_000);
  expiryTimer.unref();

  const auth = createSiweAuth({
    domain: publicUrl.host,
    uri: publicUrl.origin,
    chainId: deployment.chainId,
    secret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    lookupEntity: (address) => getEntity(index, address),
    // Used sign-in nonces in the index: a nonce from any instance signs in on any other, once.
    usedNonces: { consume: (nonce, expiresAtMs) => consumeSignInNonce(index, { nonce, expiresAt: expiresAtMs }) },
  });

  const context: ApiContext = {
    config,
    deployment,
    provider,
    anchor: new Contract(deployment.contracts.SnapshotAnchor, ANCHOR_ABI, provider),
    index,
    store,
    documents,
    views,
    feed,
    metrics,
    auth,
    relayer,
    log,
    devices,
    async publish(topic, payload, properties) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          mqtt.publishAsync(topic, payload, {
            qos: 1,
            ...(properties !== undefined && config.mqttProtocolVersion === 5 ? { properties } : {}),
          }),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no acknowledgement within 5 s (${brokerError || 'connected'})`)),
              5_000,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    brokerHealth: () =>
      mqtt.connected
        ? { up: true, detail: `connected to ${new URL(config.mqttUrl).host}` }
        : { up: false, detail: `${new URL(config.mqttUrl).host}: ${brokerError || 'disconnected'}` },
  };
  const app = createApp(context);
  server.on('request', app);
  log('info', 'api listening', { url, publicUrl: publicUrl.origin, relayer: relayer !== undefined });

  return {
    url,
    port,
    server,
    context,
    async stop() {
      views.close();
      await feed.stop();
      clearInterval(expiryTimer);
      server.closeIdleConnections();
      // Event streams never end on their own: close every open connection so the port is freed now.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await mqtt.endAsync(true);
      provider.destroy();
      if (parameters.shared === undefined) {
        await index.close();
        await store.close();
      }
    },
  };
}

/**
 * The API's own index when no oracle shares its own: `DATABASE_URL` (the one every instance shares), else an
 * embedded server under `<dataDir>/postgres` (only this API's: nothing writes to it but the API, so say so).
 */
async function openOwnIndex(config: ApiConfig, log: ApiLog): Promise<Store> {
  const index = await startStoreFromEnvironment({ dataDir: config.dataDir });
  if (index.server !== undefined) {
    log('warn', 'no DATABASE_URL: the API uses an embedded PostgreSQL of its own, which no oracle writes to', {
      dataDir: config.dataDir,
      hint: 'set DATABASE_URL to the database the oracle writes (see README), or run with --with-oracle',
    });
  }
  return index;
}
