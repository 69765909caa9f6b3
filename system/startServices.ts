import { privateKeyToAddress } from '../twin-core/src/signing/deviceKey';
import type { Hex } from '../twin-core/src/encoding/hex';
import { join } from 'node:path';
import { loadAgentConfig } from '../agent/src/config';
import { runSimulator, type RunningSimulator } from '../agent/src/runSimulator';
import type { EpisodeConfig } from '../agent/src/simulate/behaviours';
import { loadApiConfig } from '../api/src/config';
import { runApi, type RunningApi } from '../api/src/runApi';
import { loadOracleConfig, runOracle, type RunningOracle } from '../oracle/src';
import { loadSecurityConfig } from '../security/src/config';
import { runSecurity, type RunningSecurity } from '../security/src/runSecurity';
import type { BrokerLimits } from '../broker/src';
import { brokerRealm } from '../twin-core/src/broker/principal';
import { readDeployment } from '../twin-core/src/deployment/deployment';
import { startChainBackedBroker, type EmbeddedBroker } from './embeddedBroker';
import { startStoreFromEnvironment, type Store } from '../store/src';

/** A log line sink for every service; never given secrets. */
export type ServiceLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Parameters of {@link startServices}. */
export type StartServicesParameters = {
  rpcUrl: string;
  deploymentFile: string;
  /** Holds ORACLE_ROLE and pays for anchoring. */
  oracleKey: string;
  /** Pays for relayed user requests; without it the relay routes answer 503. */
  relayerKey?: string;
  /**
   * Where the oracle (journal, IPFS blocks), the simulator and the embedded PostgreSQL (`<dataDir>/postgres`, unless
   * `DATABASE_URL` or `index`) keep their files.
   */
  dataDir: string;
  /**
   * The shared index (PostgreSQL store) every service uses; without it one is started here from the environment
   * (`DATABASE_URL`, or the embedded server under `<dataDir>/postgres`; `STORE_*`) and closed last at stop.
   */
  index?: Store;
  /** An external broker; without it the embedded broker runs on `brokerPort`. */
  mqttUrl?: string;
  brokerPort?: number;
  /** The embedded broker's per-client publish limits (defaults: `DEFAULT_BROKER_LIMITS`). */
  brokerLimits?: Partial<BrokerLimits>;
  /**
   * An external Kubo node; without it the oracle runs the embedded Helia node (shared with the API and the security
   * service), on the private IPFS network of instances when `IPFS_SWARM_KEY_FILE` is in the environment.
   */
  ipfsApiUrl?: string;
  apiHost?: string;
  apiPort?: number;
  /** Simulated devices (their twins must be minted already); none when absent. */
  simulator?: {
    devices: number;
    seed: string | number;
    scenario?: string;
    ratePerSecond?: number;
    snapshotIntervalSeconds?: number;
    episodes?: Partial<EpisodeConfig>;
  };
  /**
   * The security entity's service, in this process (sharing the IPFS store and the index), with its key (an approved
   * security entity); `SECURITY_*` in the environment configures the rest. Its state (baselines, open alerts,
   * watched twins, the messages it has seen) is kept in the shared index. `store`: the index to use when `index` is
   * not given (kept for callers of before; the same one store).
   */
  security?: { key: string; store?: Store };
  /** Environment the oracle and API configs also read (ORACLE_*, API_*; default `process.env`), winning. */
  environment?: NodeJS.ProcessEnv;
  log?: ServiceLog;
};

/** The running services. */
export type RunningServices = {
  broker: EmbeddedBroker | undefined;
  mqttUrl: string;
  /** The deployment's broker realm: what a client's token is for (`TWIN_AGENT_MQTT_REALM`). */
  realm: string;
  oracle: RunningOracle;
  api: RunningApi;
  security: RunningSecurity | undefined;
  /** The shared index (PostgreSQL) the oracle, the API, the broker and the security service use. */
  index: Store;
  simulator: RunningSimulator | undefined;
  /** Stops the simulator, then the security service, the API, the oracle and the broker, each once; the index last. */
  stop(): Promise<void>;
};

/**
 * Starts the off-chain half of the system against a chain that has the registry deployed: the MQTT broker (embedded
 * unless external), the shared index (one PostgreSQL store), the oracle with its IPFS store, the API and dashboard,
 * the security entity's service (all on that one index and IPFS store), and the simulated devices. What `npm start` runs after its local chain, and what each test of the whole uses.
 *
 * @example
 * const services = await startServices({ rpcUrl, deploymentFile, oracleKey, dataDir: '.data', apiPort: 8080 })
 * process.once('SIGINT', () => void services.stop())
 */
export async function startServices(parameters: StartServicesParameters): Promise<RunningServices> {
  const log = parameters.log ?? (() => undefined);
  const environment = parameters.environment ?? process.env;
  const deployment = readDeployment(parameters.deploymentFile);
  const realm = brokerRealm(deployment);
  // One store for every service: the one given, or one started from the environment (the embedded server's first
  // start initialises its cluster, seconds: the broker starts meanwhile).
  const given = parameters.index ?? parameters.security?.store;
  const starting =
    given !== undefined
      ? Promise.resolve(given)
      : startStoreFromEnvironment({ dataDir: parameters.dataDir, environment });
  starting.catch(() => undefined); // awaited below; a failure meanwhile is no unhandled rejection
  let started: Store | undefined;
  // The embedded broker judges every client against the chain: twins from the shared index once it is open.
  let broker: EmbeddedBroker | undefined;
  try {
    broker =
      parameters.mqttUrl !== undefined
        ? undefined
        : await startChainBackedBroker({
            host: '127.0.0.1',
            port: parameters.brokerPort ?? 1883,
            rpcUrl: parameters.rpcUrl,
            deployment,
            index: () => started,
            ...(parameters.brokerLimits ? { limits: parameters.brokerLimits } : {}),
            log: (level, message, fields) => log(level, `broker: ${message}`, fields),
          });
  } catch (error) {
    if (given === undefined) await starting.then((store) => store.close()).catch(() => undefined);
    throw error;
  }
  const mqttUrl = parameters.mqttUrl ?? broker!.url;
  const stops: (() => Promise<void>)[] = [];
  if (broker) stops.unshift(() => broker.stop());
  try {
    const index = await starting;
    started = index;
    // Closed last (stops run first to last, each new one put first).
    if (given === undefined) stops.push(() => index.close());
    const oracle = await runOracle(
      loadOracleConfig({
        environment: {
          RPC_URL: parameters.rpcUrl,
          MQTT_URL: mqttUrl,
          ...(parameters.ipfsApiUrl ? { IPFS_API_URL: parameters.ipfsApiUrl } : {}),
          ORACLE_ORACLE_KEY: parameters.oracleKey,
          ORACLE_DEPLOYMENT_FILE: parameters.deploymentFile,
          ORACLE_DATA_DIR: join(parameters.dataDir, 'oracle'),
          // aedes speaks MQTT 3.1.1 without shared subscriptions.
          ...(broker ? { ORACLE_MQTT_PROTOCOL_VERSION: '4', ORACLE_MQTT_SHARED: 'false' } : {}),
          ...environment,
        },
      }),
      (level, message, fields) => log(level, `oracle: ${message}`, fields),
      { index },
    );
    stops.unshift(() => oracle.stop());
    const api = await runApi({
      config: loadApiConfig({
        environment: {
          RPC_URL: parameters.rpcUrl,
          MQTT_URL: mqttUrl,
          API_DEPLOYMENT_FILE: parameters.deploymentFile,
          API_HOST: parameters.apiHost ?? '127.0.0.1',
          API_PORT: String(parameters.apiPort ?? 8080),
          ...(parameters.relayerKey ? { API_RELAYER_KEY: parameters.relayerKey } : {}),
          ...(parameters.ipfsApiUrl ? { IPFS_API_URL: parameters.ipfsApiUrl } : {}),
          ...environment,
        },
      }),
      shared: {
        index,
        store: oracle.store,
        oracleStats: () => oracle.stats(),
        ...(broker ? { brokerStats: () => broker.stats() } : {}),
      },
      log: (level, message, fields) => log(level, `api: ${message}`, fields),
    });
    stops.unshift(() => api.stop());
    let security: RunningSecurity | undefined;
    if (parameters.security !== undefined) {
      security = await runSecurity({
        config: loadSecurityConfig({
          environment: {
            RPC_URL: parameters.rpcUrl,
            MQTT_URL: mqttUrl,
            SECURITY_SECURITY_KEY: parameters.security.key,
            SECURITY_DEPLOYMENT_FILE: parameters.deploymentFile,
            SECURITY_DATA_DIR: join(parameters.dataDir, 'security'),
            ...environment,
          },
        }),
        shared: { store: oracle.store },
        state: { store: index },
        log: (level, message, fields) => log(level, `security: ${message}`, fields),
      });
      stops.unshift(() => security!.stop());
    }
    let simulator: RunningSimulator | undefined;
    if (parameters.simulator !== undefined && parameters.simulator.devices > 0) {
      const options = parameters.simulator;
      simulator = await runSimulator({
        config: loadAgentConfig({
          environment: {
            TWIN_AGENT_MQTT_URL: mqttUrl,
            TWIN_AGENT_MQTT_REALM: realm,
            TWIN_AGENT_DATA_DIR: join(parameters.dataDir, 'simulator'),
            // The devices trust the twin records this oracle signs (its key pinned, as at provisioning).
            TWIN_AGENT_ORACLE_ADDRESSES: privateKeyToAddress(parameters.oracleKey as Hex),
          },
        }),
        devices: options.devices,
        seed: options.seed,
        scenario: options.scenario ?? 'mixed',
        ratePerSecond: options.ratePerSecond ?? 1,
        snapshotIntervalSeconds: options.snapshotIntervalSeconds ?? 10,
        signingWorkers: 1,
        ...(options.episodes ? { episodes: options.episodes } : {}),
        log: (level, message, fields) => log(level === 'debug' ? 'info' : level, `simulator: ${message}`, fields),
      });
      stops.unshift(() => simulator!.stop());
    }
    let stopping: Promise<void> | undefined;
    return {
      broker,
      mqttUrl,
      realm,
      oracle,
      api,
      security,
      index,
      simulator,
      stop: () =>
        (stopping ??= (async () => {
          for (const stop of stops) {
            await stop().catch((error: Error) => log('warn', 'stop failed', { error: error.message }));
          }
        })()),
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    // Closing twice does nothing: the store may have been in `stops` already.
    if (given === undefined) await starting.then((store) => store.close()).catch(() => undefined);
    throw error;
  }
}
