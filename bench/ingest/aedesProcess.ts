/**
 * The embedded MQTT broker (aedes, `system/embeddedBroker.ts`: what `npm start` runs in its process) alone in a child
 * process, so that its CPU and memory are its own. Reports `{ type: 'ready', url }` over IPC and stops on
 * `{ type: 'stop' }`, SIGTERM or when the parent goes away.
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/aedesProcess.ts', args: ['1883'] })
 */
import { startEmbeddedBroker } from '../../system/embeddedBroker';

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await broker.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => void (message.type === 'stop' && stop()));
  process.on('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.send?.({ type: 'ready', url: broker.url });
}

main().catch((error: unknown) => {
  process.stderr.write(`aedes: ${(error as Error).message}\n`);
  process.exit(1);
});
