import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Hex } from '../../twin-core/src/encoding/hex';
import type { UnsignedDeviceMessage } from '../../twin-core/src/messages/envelope';
import { ResendBuffer } from './transport/resendBuffer';
import { resendHandler } from './commands/resend';
import type { AgentConfig } from './config';
import { DeviceChannel, entryFor } from './device/deviceChannel';
import { SignerPool } from './device/signerPool';
import { DeviceSequences } from './identity/deviceSequences';
import { silentLogger, type Logger } from './log';
import { AGENT_VERSION, agentBrokerLogin, mqttOptionsFromConfig } from './runAgent';
import { generatePrivateKey, privateKeyToAddress } from '../../twin-core/src/signing/deviceKey';
import { MAX_FLEET_DEVICES_PER_TOKEN } from '../../twin-core/src/broker/brokerToken';
import type { EpisodeConfig } from './simulate/behaviours';
import { createSimulation } from './simulate/createSimulation';
import { MqttPublisher } from './transport/mqttPublisher';
import type { Capabilities } from '../../twin-core/src/messages/command';
import { BUILTIN_COMMANDS, SNAPSHOT_PROBES } from '../../twin-core/src/messages/commandRules';
import { createActuators, type Actuators } from './actuators/createActuators';
import { memoryDriver } from './actuators/driver';
import { createDeviceCommands, type DeviceCommands } from './commands/deviceCommands';
import { ChainOwnerSource, TwinRecordOwnerSource, type OwnerSource } from './commands/ownerSource';
import { ReplaySet } from './commands/replaySet';
import { applyState } from './commands/applyState';
import { probeReport, withProbesSwitchedOff } from './collect/probeSwitches';
import { Outbox } from './transport/outbox';

/** Parameters of {@link runSimulator}. */
export type RunSimulatorParameters = {
  config: AgentConfig;
  devices: number;
  /** Telemetry messages per second per device. */
  ratePerSecond: number;
  /** Scenario: `normal`, one behaviour name, or `mixed`. */
  scenario: string;
  seed: string | number;
  /** Seconds between two full snapshots of one device (default: the config's snapshot interval). */
  snapshotIntervalSeconds?: number;
  /** Stop after this many seconds (default: run until stopped). */
  durationSeconds?: number;
  /** Episode layout of the anomalies (default: the simulation's). */
  episodes?: Partial<EpisodeConfig>;
  /** How often the simulation is stepped, ms (default 100). */
  stepMs?: number;
  /** Signing worker threads (default: the machine's available parallelism). */
  signingWorkers?: number;
  log?: Logger;
  connect?: (url: string, options: IClientOptions) => MqttClient;
};

/** The simulator's broker connections, as one: drained and counted together. */
export type SimulatorPublisher = {
  /** One per {@link MAX_FLEET_DEVICES_PER_TOKEN} devices when logging in with tokens, else one. */
  connections: MqttPublisher[];
  /** Waits until every connection's stored messages are acknowledged (at most `timeoutMs`); whether they were. */
  drain(timeoutMs: number): Promise<boolean>;
  /** The connections' counters, summed (`connected`: all of them). */
  stats(): ReturnType<MqttPublisher['stats']>;
};

/** A running simulator. */
export type RunningSimulator = {
  deviceIds: Hex[];
  publisher: SimulatorPublisher;
  /** Messages produced so far, by kind. */
  produced: { telemetry: number; snapshot: number; static: number; status: number };
  /** Commands obeyed, and refused by reason, over every device. */
  commands: { executed: number; rejected: Record<string, number> };
  /** Resolves when `durationSeconds` is over (never without one). */
  finished: Promise<void>;
  /** Waits until every message produced so far is signed and in the outbox (at most `timeoutMs`). */
  signed(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Runs N virtual devices in this process over MQTT: one connection, or with broker tokens (`mqttRealm`) one fleet
 * login per {@link MAX_FLEET_DEVICES_PER_TOKEN} devices, each proving its slice's device keys. Each device publishes its signed static document and
 * online status, then telemetry and snapshots on the wall clock as the simulation produces them, each labelled with
 * its ground truth, through the same store-and-forward outbox a real agent uses.
 *
 * @example
 * const simulator = await runSimulator({ config, devices: 1000, ratePerSecond: 1, scenario: 'mixed', seed: 42 })
 */
export async function runSimulator(parameters: RunSimulatorParameters): Promise<RunningSimulator> {
  const { config, log = silentLogger } = parameters;
  const stepMs = parameters.stepMs ?? 100;
  const startTimeMs = Date.now();
  const simulation = createSimulation({
    devices: parameters.devices,
    ratePerSecond: parameters.ratePerSecond,
    snapshotIntervalSeconds: parameters.snapshotIntervalSeconds ?? config.snapshotIntervalSeconds,
    scenario: parameters.scenario as never,
    seed: parameters.seed,
    startTimeMs,
    ...(parameters.episodes === undefined ? {} : { episodes: parameters.episodes }),
  });
  // Each device numbers its messages on its own (a hole in a device's numbers is a lost message to the oracle).
  const sequences = new DeviceSequences(join(config.dataDir, 'simulator-sequence'));
  const channels = simulation.devices.map(
    (device) =>
      new DeviceChannel({
        deviceId: device.deviceId as Hex,
        key: device.privateKey,
        sequence: sequences.of(device.deviceId),
      }),
  );
  // Every virtual device obeys its owner's signed commands, as a real agent does: owner from the oracle's twin
  // record (pinned oracle keys) or the chain, its own persisted nonces, a fan that cools it and a light.
  const ownersOf = (deviceId: Hex): OwnerSource =>
    config.rpcUrl !== undefined && config.registryAddress !== undefined
      ? new ChainOwnerSource({
          rpcUrl: config.rpcUrl,
          registry: config.registryAddress as Hex,
          deviceId,
          cacheSeconds: config.ownerCacheSeconds,
        })
      : new TwinRecordOwnerSource({
          deviceId,
          oracles: config.oracleAddresses,
          file: join(config.dataDir, 'simulator-commands', `${deviceId}.twin.json`),
        });
  const actuatorsOf: Actuators[] = simulation.devices.map((device) =>
    createActuators([
      { name: 'fan', type: 'fan', use: coolingDriver(device.index) },
      { name: 'light', type: 'light', use: memoryDriver('light', 'simulated') },
    ]),
  );
  function coolingDriver(index: number) {
    const driver = memoryDriver('fan', 'simulated');
    return {
      driver: driver.driver,
      read: () => driver.read(),
      async apply(action: Parameters<typeof driver.apply>[0]) {
        const state = await driver.apply(action);
        simulation.setCooling(index, state.on ? state.level ?? 100 : 0);
        return state;
      },
    };
  }
  const capabilitiesOf = (index: number): Capabilities => ({
    commands: [...BUILTIN_COMMANDS],
    actuators: actuatorsOf[index]!.describe(),
    probes: [...SNAPSHOT_PROBES],
  });
  // Each device's probe switches (a desired state's `probes`): its snapshots carry those sections as disabled.
  const probesOf: Record<string, boolean>[] = simulation.devices.map(() => ({}));
  const commandCounters = { executed: 0, rejected: {} as Record<string, number> };
  const commandChannels: DeviceCommands[] = [];
  const commandTopics = new Map<string, DeviceCommands>();
  // One fleet principal (a key of this run) proving each simulated device's key: the broker lets it publish for
  // exactly those devices. A token carries at most MAX_FLEET_DEVICES_PER_TOKEN of them: a connection per slice.
  const fleetKey = generatePrivateKey();
  const fleet = { kind: 'fleet' as const, id: privateKeyToAddress(fleetKey) };
  const devices = simulation.devices.map((device) => ({
    deviceId: device.deviceId as Hex,
    key: device.privateKey as Hex,
  }));
  const slice = config.mqttRealm === undefined ? Math.max(1, devices.length) : MAX_FLEET_DEVICES_PER_TOKEN;
  const lanes: { publisher: MqttPublisher; outbox: Outbox }[] = [];
  const laneOf = new Int32Array(devices.length);
  for (let from = 0, lane = 0; from < Math.max(1, devices.length); from += slice, lane++) {
    const outbox = new Outbox({
      directory: join(config.dataDir, lane === 0 ? 'simulator-outbox' : `simulator-outbox-${lane}`),
      maxMessages: config.outboxMaxMessages,
      fsync: false,
    });
    const laneConfig =
      config.mqttClientId !== undefined && lane > 0
        ? { ...config, mqttClientId: `${config.mqttClientId}-${lane}` }
        : config;
    const login = agentBrokerLogin(laneConfig, fleet, fleetKey, devices.slice(from, from + slice));
    const publisher = new MqttPublisher({
      url: config.mqttUrl,
      ...(login.password ? { password: login.password } : {}),
      options: mqttOptionsFromConfig(laneConfig, login),
      subscriptions: devices
        .slice(from, from + slice)
        .flatMap(({ deviceId }) =>
          config.rpcUrl !== undefined && config.registryAddress !== undefined
            ? [`twins/${deviceId}/command`]
            : [`twins/${deviceId}/command`, `twins/${deviceId}/twin`],
        ),
      outbox,
      maxInFlight: 1_000,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      ...(parameters.connect ? { connect: parameters.connect } : {}),
    });
    publisher.on('transportError', (error) => log('warn', 'mqtt error', { error: error.message }));
    publisher.on('disconnect', (reason) => log('warn', 'broker connection lost', { reason, pending: outbox.size }));
    laneOf.fill(lane, from, Math.min(devices.length, from + slice));
    lanes.push({ publisher, outbox });
  }
  const publisher: SimulatorPublisher = {
    connections: lanes.map((lane) => lane.publisher),
    async drain(timeoutMs) {
      const drained = await Promise.all(lanes.map((lane) => lane.publisher.drain(timeoutMs)));
      return drained.every(Boolean);
    },
    stats() {
      const all = lanes.map((lane) => lane.publisher.stats());
      return {
        connected: all.every((stats) => stats.connected),
        pending: all.reduce((sum, stats) => sum + stats.pending, 0),
        inFlight: all.reduce((sum, stats) => sum + stats.inFlight, 0),
        acknowledged: all.reduce((sum, stats) => sum + stats.acknowledged, 0),
        dropped: all.reduce((sum, stats) => sum + stats.dropped, 0),
      };
    },
  };
  const laneFor = (index: number) => lanes[laneOf[index]!]!.publisher;
  const produced = { telemetry: 0, snapshot: 0, static: 0, status: 0 };
  // Signing is the heavy part (a secp256k1 signature and a keccak hash per message): it runs on worker threads, one
  // lane per device so each device's messages keep their order; the event loop stays free for MQTT.
  const signer = new SignerPool(parameters.signingWorkers === undefined ? {} : { size: parameters.signingWorkers });
  let backlogWarned = false;
  // What the devices published lately (all together within resendBufferBytes), for their owners' resend commands.
  const resendable = new ResendBuffer({ maxBytes: config.resendBufferBytes });
  const send = (index: number, unsigned: UnsignedDeviceMessage) => {
    produced[unsigned.kind]++;
    signer.sign(index, unsigned, channels[index]!.key).then(
      (payload) => {
        const entry = entryFor(unsigned, payload);
        if (unsigned.kind !== 'status') resendable.record(unsigned.deviceId, unsigned.seq, entry);
        laneFor(index).enqueue(entry);
      },
      (error: Error) => log('warn', 'signing failed', { error: error.message }),
    );
  };

  const onlineStatus = (index: number) =>
    channels[index]!.unsigned('status', {
      state: 'online',
      agentVersion: AGENT_VERSION,
      willSeq: null,
      intervals: simulation.intervalsOf(index),
      probes: probeReport(probesOf[index]!),
      capabilities: capabilitiesOf(index),
    });
  for (const [index, device] of simulation.devices.entries()) {
    const channel = channels[index]!;
    send(index, channel.unsigned('static', device.staticDocument));
    send(index, onlineStatus(index));
    const deviceId = device.deviceId as Hex;
    const setIntervals = (args: { snapshotSeconds?: number | undefined; telemetrySeconds?: number | undefined }) => {
      simulation.setIntervals(
        index,
        {
          ...(args.telemetrySeconds !== undefined ? { telemetrySeconds: args.telemetrySeconds } : {}),
          ...(args.snapshotSeconds !== undefined ? { snapshotSeconds: args.snapshotSeconds } : {}),
        },
        Date.now(),
      );
      send(index, onlineStatus(index));
      return { intervals: simulation.intervalsOf(index) };
    };
    const commands = createDeviceCommands({
      deviceId,
      key: device.privateKey,
      sequence: sequences.of(deviceId),
      owners: ownersOf(deviceId),
      seen: new ReplaySet(
        join(config.dataDir, 'simulator-commands', `${deviceId}.nonces.json`),
        config.commandReplayCapacity,
      ),
      capabilities: () => capabilitiesOf(index),
      publisher: laneFor(index),
      clockSkewSeconds: config.commandClockSkewSeconds,
      handlers: {
        'collect-snapshot': () => {
          simulation.requestSnapshot(index, Date.now());
          return {};
        },
        'publish-static': () => {
          send(index, channel.unsigned('static', device.staticDocument));
          return {};
        },
        'set-intervals': (args) => setIntervals(args),
        'apply-state': async (args) => {
          try {
            return await applyState(args, {
              setIntervals,
              setProbes: (wanted) => {
                for (const [probe, on] of Object.entries(wanted)) if (on !== undefined) probesOf[index]![probe] = on;
                return { ...probesOf[index] };
              },
              actuate: (name, action) => actuatorsOf[index]!.actuate(name, action),
              capabilities: () => capabilitiesOf(index),
            });
          } finally {
            send(index, onlineStatus(index));
          }
        },
        ping: () => {
          send(index, onlineStatus(index));
          return { agentVersion: AGENT_VERSION };
        },
        resend: resendHandler(resendable, deviceId, (entry) => laneFor(index).enqueue(entry)),
        actuate: async (name, action) => {
          const result = await actuatorsOf[index]!.actuate(name, action);
          send(index, onlineStatus(index));
          return result;
        },
      },
      onCommand: (result) => {
        if (result.ok) {
          commandCounters.executed++;
          return log('info', 'command executed', { deviceId, command: result.command.command });
        }
        commandCounters.rejected[result.reason] = (commandCounters.rejected[result.reason] ?? 0) + 1;
        log('warn', 'command rejected', { deviceId, reason: result.reason, detail: result.detail });
      },
    });
    commandChannels.push(commands);
    for (const topic of commands.topics) commandTopics.set(topic, commands);
  }
  for (const lane of lanes) {
    lane.publisher.on(
      'message',
      (topic, payload, packet) => void commandTopics.get(topic)?.onMessage(topic, payload, packet),
    );
    lane.publisher.start();
  }

  let timer: NodeJS.Timeout | undefined;
  let resolveFinished: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const tick = () => {
    const now = Date.now();
    for (const message of simulation.step(now)) {
      const channel = channels[message.deviceIndex]!;
      send(
        message.deviceIndex,
        message.kind === 'telemetry'
          ? channel.unsigned('telemetry', message.body)
          : channel.unsigned('snapshot', withProbesSwitchedOff(message.body, probesOf[message.deviceIndex]!)),
      );
    }
    if (signer.backlog > 10 * parameters.devices && !backlogWarned) {
      backlogWarned = true;
      log('warn', 'the simulator falls behind real time: lower --rate or --devices', {
        waitingForSignatures: signer.backlog,
      });
    }
    if (parameters.durationSeconds !== undefined && now - startTimeMs >= parameters.durationSeconds * 1000) {
      resolveFinished();
      return;
    }
    timer = setTimeout(tick, stepMs);
  };
  timer = setTimeout(tick, stepMs);

  /** Resolves when every message produced so far is signed and stored (bounded by `timeoutMs`). */
  const signed = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (signer.backlog > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  return {
    deviceIds: channels.map((channel) => channel.deviceId),
    publisher,
    produced,
    commands: commandCounters,
    finished,
    signed,
    async stop() {
      if (timer !== undefined) clearTimeout(timer);
      resolveFinished();
      await signed(30_000);
      await signer.close();
      for (const [index, channel] of channels.entries()) {
        const offline = channel.entry('status', { state: 'offline', reason: 'shutdown' });
        await laneFor(index)
          .publishDirect(offline)
          .catch(() => undefined);
      }
      for (const lane of lanes) await lane.publisher.stop();
    },
  };
}
