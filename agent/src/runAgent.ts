import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../twin-core/src/messages/topics';
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
import { createCollector } from './collect/createCollector';
import { probeReport } from './collect/probeSwitches';
import { DeviceChannel } from './device/deviceChannel';
import { SequenceStore } from './identity/sequenceStore';
import { silentLogger, type Logger } from './log';
import { MqttPublisher } from './transport/mqttPublisher';
import { Outbox } from './transport/outbox';
import { ResendBuffer } from './transport/resendBuffer';
import { resendHandler } from './commands/resend';
import type { DeviceMessage } from '../../twin-core/src/messages/envelope';
import { checkSnapshotBody, checkTelemetryBody, formatIssue, type Checked } from './validate/validators';

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

import { collectOptionsFromConfig } from './collect/collectOptions';
import { readDeviceIdentity, staticDocumentFile } from './device/deviceIdentity';
import { agentBrokerLogin, mqttOptionsFromConfig } from './transport/brokerLogin';
export { collectOptionsFromConfig, readDeviceIdentity, staticDocumentFile, agentBrokerLogin, mqttOptionsFromConfig };
export type { DeviceIdentityInfo } from './device/deviceIdentity';

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
