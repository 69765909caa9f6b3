import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HDNodeWallet, JsonRpcProvider, Wallet } from 'ethers';
import { freePort, waitForPort } from '../lib/ports';
import { REPO_ROOT } from '../lib/spawnEntry';
import { BENCH_MNEMONIC } from './benchNode.config';

/** A Hardhat node in its own process, and a provider on it. */
export type BenchChain = {
  url: string;
  pid: number;
  provider: JsonRpcProvider;
  /** Account `i` of the node's mnemonic, as a wallet on {@link provider}. */
  wallet(i: number): Wallet;
  /** Turns automining off and mines a block every `intervalMs` (issue 7's chain: 2,000). */
  mineEvery(intervalMs: number): Promise<void>;
  /** Turns interval mining off and automining on (setup: each transaction mined at once). */
  automine(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Starts `hardhat node` (the bare `benchNode.config.ts`) on a free port, directly under this Node (no npx, so `pid`
 * is the node's own process and its CPU can be sampled), and waits until it answers.
 *
 * @example
 * const chain = await startBenchChain(); await chain.mineEvery(2_000); … await chain.stop()
 */
export async function startBenchChain(timeoutMs = 120_000): Promise<BenchChain> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const key of ['HARDHAT_NETWORK', 'RPC_URL', 'PRIVATE_KEY', 'CHAIN_ID']) delete env[key];
  const cli = require.resolve('hardhat/internal/cli/cli', { paths: [REPO_ROOT] });
  const config = join(__dirname, 'benchNode.config.ts');
  const child = spawn(
    process.execPath,
    [cli, '--config', config, 'node', '--port', String(port), '--hostname', '127.0.0.1'],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  // Never outlive the benchmark (an interrupted run exits through process.exit).
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', orphan);
      resolve();
    }),
  );
  const failed = exited.then(() => {
    throw new Error(`hardhat node exited before listening:\n${errors}`);
  });
  try {
    await Promise.race([waitForPort(port, timeoutMs), failed]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  failed.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
  const wallets = new Map<number, Wallet>();
  return {
    url,
    pid: child.pid!,
    provider,
    wallet(i) {
      let wallet = wallets.get(i);
      if (wallet === undefined) {
        const key = HDNodeWallet.fromPhrase(BENCH_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey;
        wallet = new Wallet(key, provider);
        wallets.set(i, wallet);
      }
      return wallet;
    },
    async mineEvery(intervalMs) {
      await provider.send('evm_setAutomine', [false]);
      await provider.send('evm_setIntervalMining', [intervalMs]);
    },
    async automine() {
      await provider.send('evm_setIntervalMining', [0]);
      await provider.send('evm_setAutomine', [true]);
    },
    async stop() {
      provider.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
