/**
 * The load generator of the ingest benchmark, in its own process: loads a phase's prepared (already signed) messages
 * into memory, then publishes them with QoS 1 at full speed (or at a fixed rate), at most `window` unacknowledged at
 * a time, and reports when each was published. Nothing is generated or signed while publishing.
 *
 * It logs in as the simulator does against `npm start`'s broker: a fleet principal (a key of this run) proving each
 * device's key, one connection per {@link MAX_FLEET_DEVICES_PER_TOKEN} devices (`fleetBrokerCredentials`), each
 * device's messages on its slice's connection. Without a realm (an anonymous broker): one connection.
 *
 * argv[2]: the broker URL; argv[3]: {@link PublisherLogin} as JSON (optional). IPC in: `{ type: 'publish', file,
 * ratePerSecond? }`, `{ type: 'stop' }`. IPC out: `{ type: 'ready', connections }`, `{ type: 'published', … }`
 * ({@link PublishedPhase}).
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/publisherProcess.ts', args: [url, JSON.stringify({ realm, seed: 'bench', devices: 1000 })] })
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectAsync, type MqttClient } from 'mqtt';
import { createVirtualDevice } from '../../agent/src/simulate/device';
import { fleetBrokerCredentials, MAX_FLEET_DEVICES_PER_TOKEN } from '../../twin-core/src/broker';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';

/**
 * How the publisher logs in: the broker's realm and the devices (`createVirtualDevice(seed, 0 … devices − 1)`) for
 * signed fleet tokens, or a fleet's fixed password (Mosquitto with the generated files: one connection).
 */
export type PublisherLogin =
  | { realm: string; seed: string; devices: number }
  | { password: { username: string; clientId: string; password: string } };

/** What publishing one phase did. */
export type PublishedPhase = {
  type: 'published';
  count: number;
  /** Publish calls that the broker did not acknowledge. */
  failed: number;
  /** Wall-clock time of the first and last publish call, and of the last acknowledgement, ms since the epoch. */
  firstAt: number;
  lastAt: number;
  ackedAt: number;
  /** Per message, in file order: its DeviceID, sequence number and publish time (ms since the epoch). */
  messages: [deviceId: string, seq: number, publishedAt: number][];
  loadSeconds: number;
};

/** Unacknowledged QoS 1 publishes allowed at once (the agent simulator's publisher uses 1,000 too). */
const WINDOW = 1_000;

function load(file: string) {
  const text = readFileSync(file, 'utf8');
  const items: { topic: string; deviceId: string; seq: number; payload: Buffer }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const first = line.indexOf('\t');
    const second = line.indexOf('\t', first + 1);
    const topic = line.slice(0, first);
    items.push({
      topic,
      deviceId: topic.split('/')[1]!,
      seq: Number(line.slice(first + 1, second)),
      payload: Buffer.from(line.slice(second + 1), 'utf8'),
    });
  }
  return items;
}

async function publishPhase(clientOf: (deviceId: string) => MqttClient, file: string, ratePerSecond: number | undefined) {
  const loadStarted = performance.now();
  const items = load(file);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const times = new Float64Array(items.length);
  let inFlight = 0;
  let failed = 0;
  let ackedAt = 0;
  let wake: (() => void) | undefined;
  const startedAt = Date.now();
  for (let i = 0; i < items.length; i++) {
    if (ratePerSecond !== undefined) {
      const dueAt = startedAt + (i * 1000) / ratePerSecond;
      const wait = dueAt - Date.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    while (inFlight >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
    const item = items[i]!;
    inFlight++;
    times[i] = Date.now();
    clientOf(item.deviceId).publish(item.topic, item.payload, { qos: 1 }, (error) => {
      inFlight--;
      ackedAt = Date.now();
      if (error) failed++;
      const resume = wake;
      wake = undefined;
      resume?.();
    });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  const result: PublishedPhase = {
    type: 'published',
    count: items.length,
    failed,
    firstAt: times[0] ?? startedAt,
    lastAt: times[items.length - 1] ?? startedAt,
    ackedAt: ackedAt || startedAt,
    messages: items.map((item, i) => [item.deviceId, item.seq, times[i]!]),
    loadSeconds: Math.round(loadSeconds * 10) / 10,
  };
  return result;
}

/** The publisher's connections, and which one carries each device's messages. */
async function connectAll(url: string, login: PublisherLogin | undefined) {
  // All the fleet's logins arrive at once (one per 400 devices: 25 at 10,000), and the broker checks every device of
  // each token against the chain mirror before it answers: more than mqtt.js's 30 s default on a loaded machine.
  const options = { protocolVersion: 4 as const, clean: true, reconnectPeriod: 1_000, connectTimeout: 300_000 };
  if (login === undefined || 'password' in login) {
    const client = await connectAsync(url, {
      ...options,
      ...(login === undefined ? { clientId: `bench-publisher-${process.pid}` } : login.password),
    });
    return { clients: [client], clientOf: () => client };
  }
  const devices = Array.from({ length: login.devices }, (_, index) => {
    const device = createVirtualDevice(login.seed, index);
    return { deviceId: device.deviceId as Hex, key: device.privateKey as Hex };
  });
  // The whole benchmark on one token each: a long lifetime, so no reconnect needs a fresh one.
  const fleet = fleetBrokerCredentials({ key: generatePrivateKey(), realm: login.realm, devices, ttlSeconds: 86_400 });
  const clients = await Promise.all(
    fleet.map(({ credentials }) =>
      connectAsync(url, {
        ...options,
        clientId: credentials.clientId,
        username: credentials.username,
        password: credentials.password,
      }),
    ),
  );
  const byDevice = new Map<string, MqttClient>();
  fleet.forEach(({ devices: slice }, index) => {
    for (const { deviceId } of slice) byDevice.set(deviceId.toLowerCase(), clients[index]!);
  });
  const clientOf = (deviceId: string) => {
    const client = byDevice.get(deviceId.toLowerCase());
    if (client === undefined) throw new Error(`device ${deviceId} is not one of the ${login.devices} logged in`);
    return client;
  };
  return { clients, clientOf };
}

async function main(): Promise<void> {
  const login = process.argv[3] === undefined ? undefined : (JSON.parse(process.argv[3]) as PublisherLogin);
  const { clients, clientOf } = await connectAll(process.argv[2]!, login);
  let queue = Promise.resolve();
  process.on('message', (message: { type?: string; file?: string; ratePerSecond?: number }) => {
    if (message.type === 'stop') {
      void Promise.all(clients.map((client) => client.endAsync())).finally(() => process.exit(0));
    } else if (message.type === 'publish') {
      queue = queue.then(async () => {
        const result = await publishPhase(clientOf, message.file!, message.ratePerSecond);
        process.send?.(result);
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', connections: clients.length, devicesPerConnection: MAX_FLEET_DEVICES_PER_TOKEN });
}

main().catch((error: unknown) => {
  process.stderr.write(`publisher: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
