import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './brokers';
import { killGroup, ROOT } from './hardhatCli';

/** A ganache node (the `ganache` npm package, a second EVM implementation) in its own process, over JSON-RPC. */
export type GanacheNode = {
  url: string;
  chainId: number;
  /** The private keys of its funded accounts, by index (deterministic). */
  keys: string[];
  /** What ganache wrote to stderr (its uWebSockets fallback notice on Node 24, nothing else expected). */
  stderr(): string;
  stop(): Promise<void>;
};

/** Options of {@link startGanache}. */
export type GanacheOptions = {
  chainId?: number;
  /** Seconds between blocks; 0 mines each transaction at once. */
  blockTime?: number;
  hardfork?: 'shanghai' | 'merge' | 'london';
};

// The child: starts ganache's HTTP server on the given port and prints one READY line with its accounts' keys.
const SERVER = `
const ganache = require('ganache');
const [port, chainId, blockTime, hardfork] = process.argv.slice(1);
const server = ganache.server({
  chain: { chainId: Number(chainId), hardfork },
  miner: { blockTime: Number(blockTime) },
  wallet: { deterministic: true, totalAccounts: 10, defaultBalance: 1000 },
  logging: { quiet: true },
});
server.listen(Number(port), '127.0.0.1').then(async () => {
  const accounts = server.provider.getInitialAccounts();
  const keys = Object.values(accounts).map((account) => account.secretKey);
  process.stdout.write('READY ' + JSON.stringify({ keys }) + '\\n');
}, (error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
const stop = () => server.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;

/**
 * Starts ganache (npm `ganache` 7.9.2) in a child process on a free port, with the EVM baseline the contracts are
 * built for (Shanghai by default) and an optional block time; resolves once it serves JSON-RPC.
 *
 * @example
 * const ganache = await startGanache({ chainId: 1337, blockTime: 1 }); … await ganache.stop()
 */
export async function startGanache(options: GanacheOptions = {}): Promise<GanacheNode> {
  const port = await freePort();
  const chainId = options.chainId ?? 1337;
  const args = [String(port), String(chainId), String(options.blockTime ?? 0), options.hardfork ?? 'shanghai'];
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const keys = await new Promise<string[]>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`ganache did not start within 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^READY (.*)$/m.exec(stdout);
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line[1]!) as { keys: string[] }).keys);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`ganache exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    chainId,
    keys,
    stderr: () => stderr,
    async stop() {
      killGroup(child, 'SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
      ]);
      if (!stopped) {
        killGroup(child, 'SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * With `DEBUG_GANACHE` set, logs every `everyMs` ganache's head, each account's transactions in its pool (pending
 * and queued, by account index; ganache keeps a transaction it took for a future nonce in "queued" for good) and
 * what `extra` returns; without it does nothing. Returns the function that stops it.
 *
 * @example
 * const stopWatching = watchGanache(ganache, addresses, () => ({ anchored: oracle.stats().anchoredBatches }))
 */
export function watchGanache(
  node: GanacheNode,
  addresses: readonly string[],
  extra: () => unknown = () => undefined,
  everyMs = 3_000,
): () => void {
  if (!process.env.DEBUG_GANACHE) return () => undefined;
  const rpc = async (method: string, params: unknown[] = []) => {
    const response = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(everyMs),
    });
    return ((await response.json()) as { result: unknown }).result;
  };
  type Pool = Record<'pending' | 'queued', Record<string, Record<string, unknown>>>;
  const byAccount = (transactions: Pool['pending']) =>
    Object.fromEntries(
      Object.entries(transactions).map(([from, byNonce]) => [
        addresses.findIndex((address) => address.toLowerCase() === from.toLowerCase()),
        Object.keys(byNonce),
      ]),
    );
  const timer = setInterval(() => {
    void Promise.all([rpc('eth_blockNumber'), rpc('txpool_content') as Promise<Pool>]).then(
      ([head, pool]) =>
        console.log(
          new Date().toISOString(),
          'ganache',
          JSON.stringify({
            head: Number(head),
            pending: byAccount(pool.pending),
            queued: byAccount(pool.queued),
            extra: extra(),
          }),
        ),
      (error: Error) => console.log(new Date().toISOString(), 'ganache unanswered', error.message),
    );
  }, everyMs);
  return () => clearInterval(timer);
}
