import { utf8ToBytes } from '@noble/hashes/utils';
import { JsonRpcProvider, Wallet } from 'ethers';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { brokerClientId, brokerCredentials, brokerRealm, keepBrokerCredentialsFresh } from '../../twin-core/src/broker';
import { createAnalyzer, type Alert, type AlertEvent, type Analyzer } from '../../analytics/src';
import {
  createChainTwinDirectory,
  createTwinDirectory,
  useLinearGetUrl,
  useFastCrypto,
  validateMessage,
  type SequenceLedger,
} from '../../oracle/src';
import { type BlobStore, createBlobStore, ipfsConfigOf, sharesBlobs } from '../../blobs/src';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import type { AlertBody } from '../../twin-core/src/messages/alert';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { createSerialLoop } from '../../twin-core/src/runtime/serialLoop';
import { alertMessage } from './alertMessage';
import type { SecurityConfig } from './config';
import { createSecurityChain, TWIN_STATE } from './securityChain';
import { createSecurityState, type Handled } from './securityState';
import { createSequenceClaims } from './sequenceClaims';
import type { Store } from '../../store/src';

/** A log line sink; never given secrets. */
export type SecurityLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Parameters of {@link runSecurity}. */
export type RunSecurityParameters = {
  config: SecurityConfig;
  log?: SecurityLog;
  /** The IPFS store of the process it shares (`npm start`); otherwise its own (Kubo, or its node on the network). */
  shared?: { store: BlobStore };
  /**
   * The shared index (PostgreSQL store) the service reads and keeps its state in across restarts and instances: the
   * twins the chain mirror wrote (the directory messages are judged against), each device's analyzer state, the
   * alerts it handled, the twins it watches and the replay ledger (its entity's rows: a message one instance or run
   * accepted is a replay to every other). Without it the state lives in memory only (twins read from the chain) and a
   * restart learns every device again. The caller opens and closes it.
   */
  state?: { store: Store };
  /** The clock, ms (tests). */
  now?: () => number;
};

/** A running security service. */
export type RunningSecurity = {
  address: string;
  analyzer: Analyzer;
  stats(): {
    messages: number;
    rejected: number;
    alerts: number;
    suspensions: number;
    reactivations: number;
    failures: number;
  };
  /** Twins this service suspended and watches for reactivation. */
  watching(): string[];
  /** One reactivation pass now (also run on a timer). */
  reviewOnce(): Promise<void>;
  /** Saves the changed state to the store now (also run every `stateSaveIntervalMs`, and at stop); no store: nothing. */
  saveState(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Runs the security entity's service (seed 001 V.4): reads every device's telemetry and snapshots from the broker,
 * checks them as the oracle does (signature by the twin's device signer, replays), learns each device's baseline and
 * detects abnormal behaviour; stores each alert's evidence on IPFS and publishes the alert, signed, on
 * `twins/{deviceId}/alerts` (the oracle indexes it and notifies the owner). Under the `suspend` policy it suspends a
 * twin whose alert scores `suspendScore` or more, the evidence CID as the reason; once the owner has recorded an
 * update and requested a review, and the device has been within its baseline for `reactivateAfterSeconds`, it
 * reactivates the twin with a recovery report as the reason.
 *
 * @example
 * const security = await runSecurity({ config: loadSecurityConfig(), log })
 * process.on('SIGTERM', () => security.stop())
 */
export async function runSecurity(parameters: RunSecurityParameters): Promise<RunningSecurity> {
  const { config, log = () => undefined, now = Date.now } = parameters;
  await useFastCrypto();
  useLinearGetUrl();
  if (parameters.shared === undefined && !sharesBlobs(config)) {
    throw new BaseError(
      'The security service stores evidence for others to read: set IPFS_SWARM_KEY_FILE or IPFS_API_URL.',
      {
        details:
          'evidence in an offline node reaches no one: join the private IPFS network of the oracle and API instances ' +
          '(IPFS_SWARM_KEY_FILE, IPFS_PEERS, IPFS_LISTEN; see blobs/README.md), use one Kubo node (IPFS_API_URL), or ' +
          'run the service in their process (npm start)',
      },
    );
  }
  const deployment = readDeployment(config.deploymentFile);
  const provider = new JsonRpcProvider(config.rpcUrl, deployment.chainId, {
    staticNetwork: true,
    pollingInterval: 500,
    cacheTimeout: -1,
  });
  const wallet = new Wallet(config.securityKey, provider);
  const chain = createSecurityChain({ wallet, provider, deployment });
  await chain.assertSecurityEntity();
  const store =
    parameters.shared?.store ?? (await createBlobStore({ ...ipfsConfigOf(config), dataDir: config.dataDir, log }));
  const analyzer = createAnalyzer({
    trackChanges: parameters.state !== undefined,
    warmupSeconds: config.warmupSeconds,
    warmupSamples: config.warmupSamples,
    quietSeconds: config.quietSeconds,
    now,
  });
  const twinRegistry = deployment.contracts.TwinRegistry;
  const twins =
    parameters.state === undefined
      ? createChainTwinDirectory({ provider, twinRegistry })
      : createTwinDirectory({ index: parameters.state.store, provider, twinRegistry });
  // The replay ledger: the store decides (claims); the map of numbers this instance accepted only refuses early.
  const claims =
    parameters.state && createSequenceClaims({ store: parameters.state.store, entity: wallet.address, now });
  const lastSeq = new Map<string, number>();
  const ledger: SequenceLedger = { last: (id, kind) => lastSeq.get(`${id}:${kind}`), willSeq: () => undefined };
  const counters = { messages: 0, rejected: 0, alerts: 0, suspensions: 0, reactivations: 0, failures: 0 };
  const handled = new Map<string, Handled>();
  /** Twins suspended by this service, with the alert that suspended them (when this run raised it). */
  const suspended = new Map<string, Handled | undefined>();
  const state =
    parameters.state &&
    createSecurityState({
      store: parameters.state.store,
      entity: wallet.address,
      analyzer,
      handled,
      suspended,
      log,
      now,
    });
  const restored = await state?.load();
  for (const deviceId of await chain.suspendedByMe()) {
    if (suspended.has(deviceId)) continue;
    suspended.set(deviceId, undefined);
    state?.markWatched(deviceId);
  }
  const saver = createSerialLoop(async () => void (await state?.save()), {
    onError: (error) => log('warn', 'state not saved', { error: (error as Error).message.split('\n')[0] }),
  });

  let client: MqttClient | undefined;
  const publish = async (item: Handled, status: AlertBody['status']) => {
    const message = alertMessage({ ...item, status, by: wallet.address, key: config.securityKey as Hex, now: now() });
    await client!.publishAsync(deviceTopic(message.deviceId as Hex, 'alerts'), JSON.stringify(message), { qos: 1 });
  };
  const storeJson = (document: unknown) => store.add(utf8ToBytes(canonicalJson(document)));

  /** Suspends the twin when the policy says so and it is active; returns the transaction, or null. */
  async function maybeSuspend(alert: Alert, evidenceCid: string): Promise<string | null> {
    if (config.policy !== 'suspend' || alert.score < config.suspendScore) return null;
    const twin = await chain.twin(alert.deviceId);
    if (twin.state !== TWIN_STATE.active) return null;
    const tx = await chain.setState(alert.deviceId, TWIN_STATE.suspended, evidenceCid);
    counters.suspensions++;
    log('info', 'twin suspended', { deviceId: alert.deviceId, behaviour: alert.behaviour, score: alert.score, tx });
    return tx;
  }

  async function onAlert({ type, alert }: AlertEvent): Promise<void> {
    const known = handled.get(alert.id);
    if (type === 'open' || known === undefined) {
      counters.alerts++;
      const evidenceCid = await storeJson({
        v: 1,
        kind: 'security-evidence',
        deviceId: alert.deviceId,
        alert: {
          ...alert,
          window: { from: new Date(alert.window.from).toISOString(), to: new Date(alert.window.to).toISOString() },
        },
        baseline: analyzer.statusOf(alert.deviceId),
        policy: { policy: config.policy, suspendScore: config.suspendScore },
        by: wallet.address,
        createdAt: new Date(now()).toISOString(),
      });
      const tx = await maybeSuspend(alert, evidenceCid);
      const item: Handled = { alert, evidenceCid, action: tx === null ? 'notified' : 'suspended', tx };
      handled.set(alert.id, item);
      state?.markHandled(alert.id);
      if (tx !== null) {
        suspended.set(alert.deviceId, item);
        state?.markWatched(alert.deviceId);
      }
      await publish(item, type === 'close' ? 'closed' : 'open');
      if (type === 'close') handled.delete(alert.id);
      return;
    }
    known.alert = alert;
    state?.markHandled(alert.id);
    if (type === 'update' && known.action === 'notified') {
      const tx = await maybeSuspend(alert, known.evidenceCid);
      if (tx === null) return;
      Object.assign(known, { action: 'suspended', tx });
      suspended.set(alert.deviceId, known);
      state?.markWatched(alert.deviceId);
      await publish(known, 'open');
      return;
    }
    if (type === 'close') {
      handled.delete(alert.id);
      await publish(known, 'closed');
    }
  }

  // One chain of work per device keeps each device's alert events in order; devices do not wait for each other.
  const queues = new Map<string, Promise<void>>();
  analyzer.on('alert', (event) => {
    const deviceId = event.alert.deviceId;
    const next = (queues.get(deviceId) ?? Promise.resolve())
      .then(() => onAlert(event))
      .catch((error: Error) => {
        counters.failures++;
        log('warn', 'alert not handled', { deviceId, alertId: event.alert.id, error: error.message.split('\n')[0] });
      });
    queues.set(deviceId, next);
    void next.then(() => queues.get(deviceId) === next && queues.delete(deviceId));
  });

  /** Reactivates the twins whose owners asked for a review and whose devices have been quiet long enough. */
  async function review(): Promise<void> {
    analyzer.flush();
    for (const [deviceId, item] of [...suspended]) {
      const twin = await chain.twin(deviceId);
      if (twin.state !== TWIN_STATE.suspended) {
        suspended.delete(deviceId);
        state?.markWatched(deviceId);
        continue;
      }
      if (!twin.reviewRequested || !analyzer.isQuiet(deviceId, config.reactivateAfterSeconds)) continue;
      const reportCid = await storeJson({
        v: 1,
        kind: 'security-recovery',
        deviceId,
        status: analyzer.statusOf(deviceId),
        quietForAtLeastSeconds: config.reactivateAfterSeconds,
        updateCount: twin.updateCount,
        suspendedBy: item === undefined ? null : { alertId: item.alert.id, evidenceCid: item.evidenceCid, tx: item.tx },
        by: wallet.address,
        createdAt: new Date(now()).toISOString(),
      });
      const tx = await chain.setState(deviceId, TWIN_STATE.active, reportCid);
      counters.reactivations++;
      suspended.delete(deviceId);
      state?.markWatched(deviceId);
      log('info', 'twin reactivated', { deviceId, tx });
      if (item !== undefined) await publish({ ...item, evidenceCid: reportCid, action: 'reactivated', tx }, 'closed');
    }
  }
  const reviewer = createSerialLoop(review, {
    onError: (error) => log('warn', 'review pass failed', { error: (error as Error).message.split('\n')[0] }),
  });

  // Principal `security.<address>`: an approved security entity; a fresh client ID per process (clean session).
  const principal = { kind: 'security' as const, id: wallet.address };
  const credentials = brokerCredentials({
    principal,
    key: config.securityKey as Hex,
    clientId: brokerClientId(principal),
    realm: brokerRealm(deployment),
    ...(config.mqttUsername ? { username: config.mqttUsername } : {}),
    ...(config.mqttPassword ? { password: config.mqttPassword } : {}),
  });
  const options: IClientOptions = {
    clientId: credentials.clientId,
    username: credentials.username,
    password: credentials.password,
    reconnectPeriod: 1_000,
    rejectUnauthorized: config.mqttRejectUnauthorized,
  };
  client = connect(config.mqttUrl, options);
  keepBrokerCredentialsFresh(client, credentials);
  client.on('connect', () => {
    client!.subscribe(['twins/+/telemetry', 'twins/+/snapshot'], { qos: 1 }, (error) => {
      if (error) log('error', 'subscription refused', { error: error.message });
    });
  });
  client.on('error', (error) => log('warn', 'mqtt error', { error: error.message }));
  // Messages being judged (a twin the index lacks is read from the chain): stop() waits for them before it closes
  // the provider, and a judgement that fails (the chain unreachable) is counted, never left unhandled.
  const judging = new Set<Promise<void>>();
  client.on('message', (topic, payload) => {
    counters.messages++;
    const judged = validateMessage({
      topic,
      payload,
      twins,
      ledger,
      maxPayloadBytes: 1_048_576,
      maxClockSkewMs: config.maxClockSkewSeconds * 1000,
      now: now(),
    })
      .then(async (verdict) => {
        if (!verdict.ok) {
          counters.rejected++;
          return;
        }
        const { message } = verdict;
        if (claims !== undefined && !(await claims.claim(message.deviceId, message.kind, message.seq))) {
          counters.rejected++; // a replay: another instance or an earlier run accepted it
          return;
        }
        const key = `${message.deviceId}:${message.kind}`;
        lastSeq.set(key, Math.max(lastSeq.get(key) ?? -1, message.seq));
        try {
          analyzer.analyze(message);
        } catch (error) {
          counters.rejected++;
          log('warn', 'message not analysed', { deviceId: message.deviceId, error: (error as Error).message });
        }
      })
      .catch((error: Error) => {
        counters.rejected++;
        log('warn', 'message not judged', { topic, error: error.message.slice(0, 200) });
      })
      .finally(() => judging.delete(judged));
    judging.add(judged);
  });
  reviewer.start(config.reviewIntervalMs);
  if (state !== undefined) saver.start(config.stateSaveIntervalMs);
  log('info', 'security service running', {
    address: wallet.address,
    policy: config.policy,
    watching: suspended.size,
    ...(restored ? { restored } : {}),
  });

  return {
    address: wallet.address,
    analyzer,
    stats: () => ({ ...counters }),
    watching: () => [...suspended.keys()],
    reviewOnce: () => reviewer.runOnce(),
    saveState: () => saver.runOnce(),
    async stop() {
      await reviewer.stop();
      await client?.endAsync(true);
      await Promise.all(judging);
      await Promise.all(queues.values());
      await saver.stop();
      // The last changes: what a restart resumes from.
      // (Ctrl-C in a terminal also reaches an embedded server of the same process group, which may be shutting down:
      // the last periodic save stays then.)
      await saver
        .runOnce()
        .catch((error: Error) =>
          log('warn', 'state not saved at stop; the last periodic save stays', { error: error.message.split('\n')[0] }),
        );
      provider.destroy();
      if (parameters.shared === undefined) await store.close();
    },
  };
}
