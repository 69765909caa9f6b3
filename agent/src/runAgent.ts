import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { formatDeviceId, hashDeviceIdentity } from '../../twin-core/src/identity/deviceIdHash';
import type { Hex } from '../../twin-core/src/encoding/hex';
import type { StaticDocument } from '../../twin-core/src/static/schema';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { privateKeyToAddress, type PrivateKey } from '../../twin-core/src/signing/deviceKey';
import { brokerClientId } from '../../twin-core/src/broker/brokerClientId';
import { brokerCredentials } from '../../twin-core/src/broker/brokerCredentials';
import type { BrokerPrincipal } from '../../twin-core/src/broker/principal';
import { AgentError } from './errors';
import { createActuators } from './actuators/createActuators';
import type { Capabilities } from '../../twin-core/src/messages/command';
import { BUILTIN_COMMANDS, SNAPSHOT_PROBES } from '../../twin-core/src/messages/commandRules';
import { createDeviceCommands } from './commands/deviceCommands';
import { ChainOwnerSource, TwinRecordOwnerSource, type OwnerSource } from './commands/ownerSource';
import { ReplaySet } from './commands/replaySet';
import { applyState } from './commands/applyState';
import { AppliedState } from './commands/appliedState';
import type { AgentConfig } from './config';
import type { CollectOptions } from './collect/context';
import { createCollector } from './collect/createCollector';
import { probeReport } from './collect/probeSwitches';
import { DeviceChannel } from './device/deviceChannel';
import { loadOrCreateDeviceKey } from './identity/keyStore';
import { SequenceStore } from './identity/sequenceStore';
import { silentLogger, type Logger } from './log';
import { MqttPublisher } from './transport/mqttPublisher';
import { Outbox } from './transport/outbox';
import { ResendBuffer } from './transport/resendBuffer';
import { resendHandler } from './commands/resend';
import type { DeviceMessage } from '../../twin-core/src/messages/envelope';
import {
  checkSnapshotBody,
  checkTelemetryBody,
  formatIssue,
  parseDeviceStaticDocument,
  type Checked,
} from './validate/validators';

/**
 * The value of a passed check, or an error naming the field: the agent never signs a body its schema refuses.
 *
 * @example
 * const body = valid(checkSnapshotBody(await collector.snapshot()), 'snapshot')
 */
export function valid<value>(checked: Checked<value>, root: string): value {
  if (checked.ok) return checked.value;
  throw new AgentError(`The collected ${root} does not match its schema.`, {
    details: formatIssue(checked.issue, root),
  });
}

/** The agent's version, reported in its online status. */
export const AGENT_VERSION = '0.1.0';

/** Timers the run loop uses; tests inject fake ones to control time. */
export type Timers = {
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  now: () => number;
};

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/** What the collectors need, from the agent configuration. */
export function collectOptionsFromConfig(config: AgentConfig, now: () => number = Date.now): CollectOptions {
  return {
    paths: { proc: config.procRoot, sys: config.sysRoot, etc: config.etcRoot, dev: config.devRoot },
    probeTimeoutMs: config.probeTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    processLimit: config.processLimit,
    socketLimit: config.socketLimit,
    sharedLibrariesProcessLimit: config.sharedLibrariesProcessLimit,
    kernelLogLines: config.kernelLogLines,
    tlsServers: config.tlsServers,
    sensorPlugins: config.sensors,
    owner: { ownerId: config.ownerId, location: config.location },
    capture: {
      mode: config.captureMode,
      command: config.captureCommand,
      interface: config.captureInterface,
      snaplenBytes: config.captureSnaplenBytes,
      maxPacketsPerSec: config.captureMaxPacketsPerSec,
      includeLoopback: config.captureIncludeLoopback,
      maxFlows: config.captureMaxFlows,
      maxRecords: config.captureMaxRecords,
      burstGapMs: config.captureBurstGapMs,
      flowLimit: config.flowLimit,
    },
    now,
  };
}

/** The device's identity as the agent sees it: key, DeviceID, signer address and static document. */
export type DeviceIdentityInfo = {
  key: PrivateKey;
  keyCreated: boolean;
  deviceId: Hex;
  signer: Hex;
  /** The static document the twin was (or will be) minted from: collected once, then kept in the data directory. */
  staticDocument: StaticDocument;
  /** The DeviceID the device would have if its static parameters were read again, when that differs. */
  identityDrift?: Hex | undefined;
};

/** The file keeping the device's static document, so every publication has the hash recorded at mint. */
export function staticDocumentFile(config: AgentConfig): string {
  return join(config.dataDir, 'static-document.json');
}

/**
 * Reads the device's static document and loads (or creates) its key: everything `agent identity` prints and the
 * twin needs at mint. The document is collected on first use and kept in `dataDir/static-document.json`: a static
 * document must stay byte-identical, or its hash would no longer match the one recorded at mint. Later reads collect
 * again only to report drift (e.g. an OS upgrade changed the identity parameters).
 *
 * @example
 * const { deviceId, signer } = await readDeviceIdentity(config)
 */
export async function readDeviceIdentity(
  config: AgentConfig,
  environment: NodeJS.ProcessEnv = process.env,
  log: Logger = silentLogger,
): Promise<DeviceIdentityInfo> {
  const collector = createCollector(collectOptionsFromConfig(config));
  const collected = (onNote?: (note: string) => void) =>
    collector.staticDocument(
      {
        identity: config.identity,
        ...(config.staticIp !== undefined ? { network: { staticIp: config.staticIp } } : {}),
      },
      onNote,
    );
  const file = staticDocumentFile(config);
  let staticDocument: StaticDocument;
  let identityDrift: Hex | undefined;
  if (existsSync(file)) {
    staticDocument = parseDeviceStaticDocument(JSON.parse(readFileSync(file, 'utf8')));
    const current = await collected().then(
      (document) => formatDeviceId(hashDeviceIdentity(document.identity)),
      () => undefined,
    );
    if (current !== undefined && current !== formatDeviceId(hashDeviceIdentity(staticDocument.identity)))
      identityDrift = current;
  } else {
    // Notes about unreported identity fields are for the first collection: the document is kept from then on.
    staticDocument = await collected((note) => log('warn', note));
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(staticDocument, null, 2)}\n`);
  }
  const { key, created } = loadOrCreateDeviceKey({
    file: join(config.dataDir, 'device.key'),
    fromEnvironment: environment.TWIN_AGENT_DEVICE_KEY,
  });
  return {
    key,
    keyCreated: created,
    deviceId: formatDeviceId(hashDeviceIdentity(staticDocument.identity)),
    signer: privateKeyToAddress(key),
    staticDocument,
    ...(identityDrift !== undefined ? { identityDrift } : {}),
  };
}

/**
 * The agent's broker login: client ID (`mqttClientId`, else bound to the principal with a suffix kept in the data
 * directory), username and a password that is a fresh token signed by `key` for `mqttRealm` each time it is read, or
 * `mqttPassword` as given; neither without a realm or a password (an open broker).
 */
export function agentBrokerLogin(
  config: AgentConfig,
  principal: BrokerPrincipal,
  key: Hex,
  devices?: readonly { deviceId: Hex; key: Hex }[],
): { clientId: string; username?: string; password?: () => string } {
  const clientId =
    config.mqttClientId ?? brokerClientId(principal, principal.kind === 'device' ? config.dataDir : undefined);
  if (config.mqttRealm === undefined && config.mqttPassword === undefined) {
    return { clientId, ...(config.mqttUsername !== undefined ? { username: config.mqttUsername } : {}) };
  }
  const credentials = brokerCredentials({
    principal,
    key,
    clientId,
    realm: (config.mqttRealm ?? '').toLowerCase(),
    ...(devices ? { devices } : {}),
    ...(config.mqttUsername !== undefined ? { username: config.mqttUsername } : {}),
    ...(config.mqttPassword !== undefined ? { password: config.mqttPassword } : {}),
  });
  return { clientId, username: credentials.username, password: credentials.refresh };
}

/** MQTT client options from the configuration and the broker login: TLS files, client ID, username, keep-alive. */
export function mqttOptionsFromConfig(
  config: AgentConfig,
  login: { clientId: string; username?: string },
): IClientOptions {
  return {
    clientId: login.clientId,
    protocolVersion: config.mqttProtocolVersion,
    keepalive: config.mqttKeepaliveSeconds,
    // A persistent session keeps the commands (QoS 1) sent while the device is away, for when it is back.
    ...(config.mqttSessionHours > 0
      ? {
          clean: false,
          ...(config.mqttProtocolVersion === 5
            ? { properties: { sessionExpiryInterval: Math.round(config.mqttSessionHours * 3600) } }
            : {}),
        }
      : {}),
    ...(login.username !== undefined ? { username: login.username } : {}),
    ...(config.mqttCaFile !== undefined ? { ca: readFileSync(config.mqttCaFile) } : {}),
    ...(config.mqttCertFile !== undefined ? { cert: readFileSync(config.mqttCertFile) } : {}),
    ...(config.mqttKeyFile !== undefined ? { key: readFileSync(config.mqttKeyFile) } : {}),
    rejectUnauthorized: config.mqttRejectUnauthorized,
  };
}

/** Parameters of {@link runAgent}. */
export type RunAgentParameters = {
  config: AgentConfig;
  log?: Logger;
  timers?: Timers;
  /** MQTT transport override (tests). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
  environment?: NodeJS.ProcessEnv;
};

/** A running agent. */
export type RunningAgent = {
  deviceId: Hex;
  signer: Hex;
  publisher: MqttPublisher;
  /** Collects and enqueues a snapshot now. */
  snapshotNow(): Promise<void>;
  /** Counters: commands obeyed, rejected commands and twin records by reason, collection failures. */
  counters: {
    commandsExecuted: number;
    commandsRejected: Record<string, number>;
    twinRecordsRejected: Record<string, number>;
    collectionFailures: number;
  };
  /** The publishing intervals now in force (and the sensor period, once a desired state set one). */
  intervals: { snapshotSeconds: number; telemetrySeconds: number; sensorSeconds?: number };
  /** Publishes the offline status and closes the connection; stored messages stay for the next run. */
  stop(): Promise<void>;
};

/**
 * The agent loop: publishes the static document (retained) at start and every `staticIntervalHours`, telemetry
 * every `telemetryIntervalSeconds`, a full snapshot every `snapshotIntervalSeconds`, a retained online status at
 * each connect with a signed offline last will, and obeys the command topic. A collection never overlaps the
 * previous one of its kind; a failure is logged and counted, never fatal.
 *
 * @example
 * const agent = await runAgent({ config: loadAgentConfig(), log: createLogger() })
 * process.on('SIGTERM', () => agent.stop())
 */
export async function runAgent(parameters: RunAgentParameters): Promise<RunningAgent> {
  const { config, log = silentLogger, timers = realTimers } = parameters;
  const identity = await readDeviceIdentity(config, parameters.environment, log);
  const { deviceId, key } = identity;
  if (identity.identityDrift !== undefined) {
    log('warn', 'the static parameters read now give another DeviceID than the minted document; it is kept', {
      deviceId,
      nowReads: identity.identityDrift,
      remedy: `record the change as an update, or mint a new twin from a fresh document (delete ${staticDocumentFile(
        config,
      )})`,
    });
  }
  const collector = createCollector(collectOptionsFromConfig(config, timers.now));
  const sequence = new SequenceStore(join(config.dataDir, 'sequence'));
  const channel = new DeviceChannel({ deviceId, key, sequence, now: timers.now });
  const outbox = new Outbox({
    directory: join(config.dataDir, 'outbox'),
    maxMessages: config.outboxMaxMessages,
    fsync: config.outboxFsync,
  });
  const intervals: RunningAgent['intervals'] = {
    snapshotSeconds: config.snapshotIntervalSeconds,
    telemetrySeconds: config.telemetryIntervalSeconds,
  };
  /** The probe switches a desired state set (every probe runs until one is switched off). */
  let probes: Record<string, boolean> = {};
  const counters = {
    commandsExecuted: 0,
    commandsRejected: {} as Record<string, number>,
    twinRecordsRejected: {} as Record<string, number>,
    collectionFailures: 0,
  };
  const actuators = createActuators(config.actuators, config.commandTimeoutMs);
  const capabilities = (): Capabilities => ({
    commands: [...BUILTIN_COMMANDS],
    actuators: actuators.describe(),
    probes: [...SNAPSHOT_PROBES],
    sensorSampling: true,
  });
  // Whose signed commands the device obeys: the chain's owner when it has an endpoint, else the twin record signed by
  // an oracle key pinned at provisioning; with neither, every command is refused (and counted).
  const owners: OwnerSource =
    config.rpcUrl !== undefined && config.registryAddress !== undefined
      ? new ChainOwnerSource({
          rpcUrl: config.rpcUrl,
          registry: config.registryAddress as Hex,
          deviceId,
          cacheSeconds: config.ownerCacheSeconds,
          now: timers.now,
        })
      : new TwinRecordOwnerSource({
          deviceId,
          oracles: config.oracleAddresses,
          file: join(config.dataDir, 'twin-record.json'),
        });
  if (config.rpcUrl === undefined && config.oracleAddresses.length === 0)
    log('warn', 'no oracle addresses and no RPC endpoint: every command will be refused', {
      remedy:
        'set TWIN_AGENT_ORACLE_ADDRESSES (pinned oracle keys) or TWIN_AGENT_RPC_URL and TWIN_AGENT_REGISTRY_ADDRESS',
    });

  const will = channel.entry('status', { state: 'offline', reason: 'connection-lost' });
  const willSeq = JSON.parse(will.payload).seq as number;
  const onlineStatus = () =>
    channel.entry('status', {
      state: 'online',
      agentVersion: AGENT_VERSION,
      willSeq,
      intervals: { ...intervals },
      probes: probeReport(probes),
      capabilities: capabilities(),
    });
  const login = agentBrokerLogin(config, { kind: 'device', id: deviceId }, identity.key);
  const publisher = new MqttPublisher({
    url: config.mqttUrl,
    ...(login.password ? { password: login.password } : {}),
    options: {
      ...mqttOptionsFromConfig(config, login),
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    },
    outbox,
    subscriptions:
      owners instanceof TwinRecordOwnerSource
        ? [deviceTopic(deviceId, 'command'), deviceTopic(deviceId, 'twin')]
        : [deviceTopic(deviceId, 'command')],
    onConnect: () => [onlineStatus()],
    reconnectMinMs: config.reconnectMinMs,
    reconnectMaxMs: config.reconnectMaxMs,
    ...(parameters.connect ? { connect: parameters.connect } : {}),
  });
  publisher.on('connect', () => log('info', 'connected to broker', { url: config.mqttUrl, pending: outbox.size }));
  publisher.on('disconnect', (reason) => log('warn', 'broker connection lost', { reason, pending: outbox.size }));
  publisher.on('transportError', (error) => log('warn', 'mqtt error', { error: error.message }));

  // What the device published lately, for the owner's resend command (a range the oracle never indexed).
  const resendable = new ResendBuffer({ maxBytes: config.resendBufferBytes });
  const send = (message: DeviceMessage) => {
    const entry = channel.toEntry(message);
    resendable.record(deviceId, message.seq, entry);
    publisher.enqueue(entry);
  };
  const busy = { snapshot: false, telemetry: false };
  async function collectAndSend(kind: 'snapshot' | 'telemetry'): Promise<void> {
    if (busy[kind]) return;
    busy[kind] = true;
    try {
      if (kind === 'snapshot')
        send(channel.message('snapshot', valid(checkSnapshotBody(await collector.snapshot()), 'snapshot')));
      else send(channel.message('telemetry', valid(checkTelemetryBody(await collector.telemetry()), 'telemetry')));
    } catch (error) {
      counters.collectionFailures++;
      log('error', `${kind} collection failed`, { error: (error as Error).message });
    } finally {
      busy[kind] = false;
    }
  }
  async function sendStatic(): Promise<void> {
    send(channel.message('static', identity.staticDocument));
  }

  const handles = new Map<string, unknown>();
  const schedule = new Map<string, () => void>();
  let stopped = false;
  function every(name: string, seconds: () => number, action: () => Promise<void>): void {
    const arm = () => handles.set(name, timers.setTimeout(tick, seconds() * 1000));
    const tick = () => {
      if (stopped) return;
      arm();
      void action();
    };
    schedule.set(name, () => {
      timers.clearTimeout(handles.get(name));
      if (!stopped) arm();
    });
    arm();
  }
  /** Restarts a timer with its current period: a new interval applies at once, not after the old one runs out. */
  const reschedule = (name: string) => schedule.get(name)?.();

  const setIntervals = (args: {
    snapshotSeconds?: number | undefined;
    telemetrySeconds?: number | undefined;
    sensorSeconds?: number | undefined;
  }) => {
    if (args.sensorSeconds !== undefined) {
      intervals.sensorSeconds = args.sensorSeconds;
      collector.setSensorSeconds(args.sensorSeconds);
    }
    if (args.snapshotSeconds !== undefined) {
      intervals.snapshotSeconds = args.snapshotSeconds;
      reschedule('snapshot');
    }
    if (args.telemetrySeconds !== undefined) {
      intervals.telemetrySeconds = args.telemetrySeconds;
      reschedule('telemetry');
    }
    publisher.publishDirect(onlineStatus()).catch(() => undefined);
    return { intervals: { ...intervals } };
  };
  const applyDesired = (args: Parameters<typeof applyState>[0]) =>
    applyState(args, {
      setIntervals,
      setProbes: (wanted) => (probes = collector.setProbes(wanted)),
      actuate: (name, action) => actuators.actuate(name, action),
      capabilities,
    });
  // The desired state obeyed before a restart is applied again at once (the owner signed it; it is not a replay).
  const applied = new AppliedState(join(config.dataDir, 'desired-state.json'));
  let kept: ReturnType<AppliedState['load']>;
  try {
    kept = applied.load(capabilities());
  } catch (error) {
    log('warn', 'the kept desired state is not applied', { error: (error as Error).message });
  }
  const commands = createDeviceCommands({
    deviceId,
    key,
    sequence,
    owners,
    seen: new ReplaySet(join(config.dataDir, 'command-nonces.json'), config.commandReplayCapacity),
    capabilities,
    publisher,
    now: timers.now,
    clockSkewSeconds: config.commandClockSkewSeconds,
    handlers: {
      'collect-snapshot': async () => {
        await collectAndSend('snapshot');
        return {};
      },
      'publish-static': async () => {
        await sendStatic();
        return {};
      },
      'set-intervals': (args) => setIntervals(args),
      'apply-state': (args) =>
        applyDesired(args)
          .then((result) => {
            applied.record(args.desired, capabilities());
            return result;
          })
          .finally(() => publisher.publishDirect(onlineStatus()).catch(() => undefined)),
      ping: () => {
        publisher.publishDirect(onlineStatus()).catch(() => undefined);
        return { agentVersion: AGENT_VERSION };
      },
      resend: resendHandler(resendable, deviceId, (entry) => publisher.enqueue(entry)),
      actuate: async (name, action) => {
        const result = await actuators.actuate(name, action);
        // The new state is in the retained status too, for whoever reads capabilities.
        publisher.publishDirect(onlineStatus()).catch(() => undefined);
        return result;
      },
    },
    onCommand: (result) => {
      if (result.ok) {
        counters.commandsExecuted++;
        return log('info', 'command executed', { command: result.command.command, commandId: result.commandId });
      }
      counters.commandsRejected[result.reason] = (counters.commandsRejected[result.reason] ?? 0) + 1;
      log('warn', 'command rejected', { reason: result.reason, detail: result.detail });
    },
    onRecordRefused: (reason) => {
      counters.twinRecordsRejected[reason] = (counters.twinRecordsRejected[reason] ?? 0) + 1;
      log('warn', 'twin record refused', { reason });
    },
  });
  publisher.on('message', (topic, payload, packet) => void commands.onMessage(topic, payload, packet));

  void sendStatic();
  publisher.start();
  every(
    'telemetry',
    () => intervals.telemetrySeconds,
    () => collectAndSend('telemetry'),
  );
  every(
    'snapshot',
    () => intervals.snapshotSeconds,
    () => collectAndSend('snapshot'),
  );
  every('static', () => config.staticIntervalHours * 3600, sendStatic);
  if (kept !== undefined)
    void applyDesired({ desired: kept, version: 1 })
      .then(() => log('info', 'applied the kept desired state', { desired: kept }))
      .catch((error: Error) => log('warn', 'the kept desired state failed to apply', { error: error.message }))
      .finally(() => publisher.publishDirect(onlineStatus()).catch(() => undefined));
  void collectAndSend('snapshot');

  return {
    deviceId,
    signer: identity.signer,
    publisher,
    snapshotNow: () => collectAndSend('snapshot'),
    counters,
    intervals,
    async stop() {
      stopped = true;
      for (const handle of handles.values()) timers.clearTimeout(handle);
      await publisher.stop(channel.entry('status', { state: 'offline', reason: 'shutdown' }));
      await collector.close();
    },
  };
}
