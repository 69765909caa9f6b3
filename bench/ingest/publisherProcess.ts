/**
 * The load generator of the ingest benchmark, in its own process: loads a phase's prepared (already signed) messages
 * into memory, then publishes them with QoS 1 at full speed (or at a fixed rate), at most `window` unacknowledged at
 * a time, and reports when each was published. Nothing is generated or signed while publishing.
 *
 * argv[2]: the broker URL. IPC in: `{ type: 'publish', file, ratePerSecond? }`, `{ type: 'stop' }`.
 * IPC out: `{ type: 'ready' }`, `{ type: 'published', … }` ({@link PublishedPhase}).
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/publisherProcess.ts', args: ['mqtt://127.0.0.1:1883'] })
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectAsync, type MqttClient } from 'mqtt';

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

async function publishPhase(client: MqttClient, file: string, ratePerSecond: number | undefined) {
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
    client.publish(item.topic, item.payload, { qos: 1 }, (error) => {
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

async function main(): Promise<void> {
  const client = await connectAsync(process.argv[2]!, {
    protocolVersion: 4,
    clientId: `bench-publisher-${process.pid}`,
    clean: true,
    reconnectPeriod: 1_000,
  });
  let queue = Promise.resolve();
  process.on('message', (message: { type?: string; file?: string; ratePerSecond?: number }) => {
    if (message.type === 'stop') {
      void client.endAsync().finally(() => process.exit(0));
    } else if (message.type === 'publish') {
      queue = queue.then(async () => {
        const result = await publishPhase(client, message.file!, message.ratePerSecond);
        process.send?.(result);
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`publisher: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
