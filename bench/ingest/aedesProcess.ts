/**
 * The embedded MQTT broker (aedes, `system/embeddedBroker.ts`) alone in a child process, so that its CPU and memory
 * are its own, with the authentication and authorisation `npm start` runs (`startChainBackedBroker`): every client
 * logs in with a signed token the chain vouches for, and every publish and subscription is held to the ACL. Twins
 * come from the chain mirror in the oracle's store (with `mirror`: the database of `DATABASE_URL`, the run's, read
 * through a pool of its own as every instance does), else from the chain.
 *
 * argv[2]: the port; argv[3]: {@link AedesProcessOptions} as JSON. Reports `{ type: 'ready', url }` over IPC; answers
 * `{ type: 'stats' }` with `{ type: 'stats', stats }` (the authoriser's counters); stops on `{ type: 'stop' }`, SIGTERM
 * or when the parent goes away.
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/aedesProcess.ts', args: ['1883', JSON.stringify({ rpcUrl, deploymentFile, mirror: true })], env: { ...process.env, DATABASE_URL } })
 */
import { openStore, type Store } from '../../store/src';
import { startChainBackedBroker } from '../../system/embeddedBroker';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import type { BrokerLimits } from '../../broker/src';

/** How the benchmark's aedes judges its clients. */
export type AedesProcessOptions = {
  rpcUrl: string;
  deploymentFile: string;
  /**
   * Read twins from the oracle's store, the database of `DATABASE_URL` (already migrated): the chain mirror, as in
   * `npm start`. The URL comes through the environment, not the command line, which any user can read.
   */
  mirror?: boolean;
  limits?: Partial<BrokerLimits>;
};

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  const options = JSON.parse(process.argv[3] ?? '{}') as AedesProcessOptions;
  const databaseUrl = process.env.DATABASE_URL;
  if (options.mirror === true && (databaseUrl === undefined || databaseUrl === '')) {
    throw new Error('mirror: true needs DATABASE_URL (the oracle store the broker reads twins from)');
  }
  // The publisher's fleet logs in all at once (25 tokens of 400 devices at 10,000), each device looked up in the
  // mirror: a lookup may wait longer for a pool connection than the store's 10 s default while the broker checks the
  // tokens' device proofs (seen at 10,000 devices: refusals as chain-unavailable).
  const index: Store | undefined =
    options.mirror === true
      ? await openStore({ databaseUrl: databaseUrl!, poolSize: 4, connectTimeoutMs: 120_000, schema: 'check' })
      : undefined;
  const broker = await startChainBackedBroker({
    host: '127.0.0.1',
    port,
    rpcUrl: options.rpcUrl,
    deployment: readDeployment(options.deploymentFile),
    ...(index === undefined ? {} : { index: () => index }),
    ...(options.limits ? { limits: options.limits } : {}),
    log: (level, message, fields) =>
      level === 'warn' && process.stderr.write(`${JSON.stringify({ message, ...fields })}\n`),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await broker.stop().catch(() => undefined);
    await index?.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') void stop();
    else if (message.type === 'stats') process.send?.({ type: 'stats', stats: broker.stats() });
  });
  process.on('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.send?.({ type: 'ready', url: broker.url });
}

main().catch((error: unknown) => {
  process.stderr.write(`aedes: ${(error as Error).message}\n`);
  process.exit(1);
});
