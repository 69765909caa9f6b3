import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../lib/ports';
import { spawnEntry } from '../lib/spawnEntry';

/** The brokers the ingest benchmark runs against. */
export type BrokerKind = 'aedes' | 'mosquitto';

/** A broker in its own process. */
export type BenchBroker = {
  kind: BrokerKind;
  url: string;
  pid: number;
  /** The broker settings that matter to the figures, for the results. */
  settings: Record<string, string | number>;
  stop(): Promise<void>;
};

/**
 * Mosquitto settings: a QoS 1 queue per client large enough that nothing is dropped while the oracle is behind
 * (Mosquitto's default, 1,000 queued messages, drops the rest), in memory, no persistence.
 */
export const MOSQUITTO_SETTINGS = { max_queued_messages: 10_000_000, max_inflight_messages: 20 } as const;

/**
 * Where Mosquitto is installed (`/usr/sbin/mosquitto` on Debian), or undefined.
 *
 * @example
 * if (mosquittoBinary() === undefined) skipped = 'Mosquitto is not installed'
 */
export function mosquittoBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('which', ['mosquitto'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

/**
 * Starts a broker on a free port of 127.0.0.1 in its own process: aedes (the embedded broker `npm start` uses,
 * MQTT 3.1.1) or Mosquitto (MQTT 5, shared subscriptions; {@link MOSQUITTO_SETTINGS}).
 *
 * @example
 * const broker = await startBroker('mosquitto'); … await broker.stop()
 */
export async function startBroker(kind: BrokerKind): Promise<BenchBroker> {
  const port = await freePort();
  if (kind === 'aedes') {
    const child = spawnEntry({ entry: 'bench/ingest/aedesProcess.ts', args: [String(port)] });
    const { url } = await child.waitFor(
      (message) => ((message as { type?: string }).type === 'ready' ? (message as { url: string }) : undefined),
      60_000,
      'aedes ready',
    );
    return {
      kind,
      url,
      pid: child.pid,
      settings: { implementation: 'aedes (system/embeddedBroker.ts)', protocol: 'MQTT 3.1.1' },
      stop: () => child.kill(5_000),
    };
  }
  const binary = mosquittoBinary();
  if (binary === undefined) throw new Error('mosquitto is not installed');
  const directory = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'));
  const configFile = join(directory, 'mosquitto.conf');
  writeFileSync(
    configFile,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'log_dest stderr',
      'log_type error',
      `user ${userInfo().username}`,
      ...Object.entries(MOSQUITTO_SETTINGS).map(([key, value]) => `${key} ${value}`),
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', orphan);
      resolve();
    }),
  );
  await Promise.race([
    waitForPort(port, 10_000),
    exited.then(() => {
      throw new Error(`mosquitto exited: ${errors}`);
    }),
  ]);
  const version = spawnSync(binary, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'mosquitto';
  return {
    kind,
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    settings: { implementation: version, protocol: 'MQTT 5 (oracle), 3.1.1 (publisher)', ...MOSQUITTO_SETTINGS },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
