import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort, waitForPort } from '../../bench/lib/ports';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export { freePort, waitForPort } from '../../bench/lib/ports';

/** Polls `condition` every 20 ms until true, failing after `timeoutMs` with `what`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A packet a broker accepted from a client. */
export type ReceivedPacket = { topic: string; payload: string; retain: boolean };

/** An in-process aedes broker on a fixed port that can be stopped and started again on the same port. */
export type AedesBroker = {
  port: number;
  url: string;
  /** Every packet clients published, in the order the broker accepted them (kept across restarts). */
  received: ReceivedPacket[];
  start(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * The real aedes broker, in process, listening on 127.0.0.1.
 *
 * @example
 * const broker = await startAedes(); … await broker.stop(); await broker.start() // a restart on the same port
 */
export async function startAedes(
  port?: number,
  credentials?: { username: string; password: string },
): Promise<AedesBroker> {
  const { Aedes } = require('aedes') as { Aedes: { createBroker(options?: object): Promise<AedesInstance> } };
  const chosen = port ?? (await freePort());
  let server: Server | undefined;
  let broker: AedesInstance | undefined;
  const received: ReceivedPacket[] = [];
  const handle: AedesBroker = {
    port: chosen,
    url: `mqtt://127.0.0.1:${chosen}`,
    received,
    async start() {
      // Client IDs bound to a principal (`device-<DeviceID>-<suffix>`) are longer than MQTT 3.1.1's 23 characters.
      broker = await Aedes.createBroker({ maxClientsIdLength: 256 });
      if (credentials) {
        broker.authenticate = (_client, username, password, callback) =>
          callback(null, username === credentials.username && password?.toString() === credentials.password);
      }
      broker.on('publish', (packet, client) => {
        if (client) received.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain });
      });
      server = createServer(broker.handle);
      await new Promise<void>((resolve) => server!.listen(chosen, '127.0.0.1', resolve));
    },
    async stop() {
      const closing = server;
      server = undefined;
      await new Promise<void>((resolve) => broker!.close(() => resolve()));
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  await handle.start();
  return handle;
}

type AedesInstance = {
  handle: (socket: unknown) => void;
  authenticate: (
    client: unknown,
    username: string | undefined,
    password: Buffer | undefined,
    callback: (error: Error | null, ok: boolean) => void,
  ) => void;
  on(
    event: 'publish',
    listener: (packet: { topic: string; payload: Buffer; retain: boolean }, client: unknown) => void,
  ): void;
  close(callback: () => void): void;
};

/** Whether Debian's mosquitto is installed (CI installs it; a developer machine may not have it). */
export function mosquittoPath(): string | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('which', ['mosquitto'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** Parameters of {@link startMosquitto}. */
export type MosquittoParameters = {
  port?: number;
  /** TLS listener requiring a client certificate signed by `caFile`. */
  tls?: { caFile: string; certFile: string; keyFile: string };
  /** Keep sessions and queued messages across restarts (persistence file in the broker's directory). */
  persistence?: boolean;
  /** More lines of mosquitto.conf (e.g. `max_queued_messages 100000`). */
  settings?: string[];
};

/** A real Mosquitto broker process. */
export type MosquittoBroker = {
  port: number;
  url: string;
  directory: string;
  start(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Starts Debian's mosquitto on 127.0.0.1 with a generated configuration.
 *
 * @example
 * const broker = await startMosquitto({ persistence: true })
 */
export async function startMosquitto(parameters: MosquittoParameters = {}): Promise<MosquittoBroker> {
  const binary = mosquittoPath();
  if (binary === undefined) throw new Error('mosquitto is not installed');
  const port = parameters.port ?? (await freePort());
  const directory = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  // Started as root, mosquitto drops to user `mosquitto`, who cannot read our 0700 temp files: stay who we are.
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'log_dest stderr',
    'log_type error',
    `user ${userInfo().username}`,
  ];
  if (parameters.tls) {
    lines.push(
      `cafile ${parameters.tls.caFile}`,
      `certfile ${parameters.tls.certFile}`,
      `keyfile ${parameters.tls.keyFile}`,
      'require_certificate true',
      'use_identity_as_username true',
    );
  }
  if (parameters.persistence)
    lines.push('persistence true', `persistence_location ${directory}/`, 'autosave_interval 1');
  lines.push(...(parameters.settings ?? []));
  const configFile = join(directory, 'mosquitto.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  const handle: MosquittoBroker = {
    port,
    url: `${parameters.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    directory,
    async start() {
      child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let errors = '';
      child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      const exited = new Promise<never>((_, reject) =>
        child!.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${errors}`))),
      );
      await Promise.race([waitForPort(port), exited]);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
  };
  await handle.start();
  return handle;
}
