import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import hre from 'hardhat';
import { HDNodeWallet, JsonRpcProvider, Wallet } from 'ethers';
import { freePort, waitForPort } from '../../helpers/brokers';

const ROOT = join(__dirname, '..', '..', '..');
const CONFIG = join(__dirname, 'hardhatNode.config.ts');

/** A `npx hardhat node` child process and a provider on it. */
export type HardhatNode = {
  url: string;
  provider: JsonRpcProvider;
  /** Account `i` of the node (the default Hardhat mnemonic), as a wallet on {@link provider}. */
  wallet(i: number): Wallet;
  /** Mines `blocks` empty blocks. */
  mine(blocks: number): Promise<void>;
  blockNumber(): Promise<number>;
  /** Kills the node's process group and waits for it. */
  stop(): Promise<void>;
};

/**
 * Starts a real Hardhat node over JSON-RPC on a free port, in its own process group, with the bare configuration
 * of `hardhatNode.config.ts`.
 *
 * @example
 * const node = await startHardhatNode(); … await node.stop()
 */
export async function startHardhatNode(timeoutMs = 60_000): Promise<HardhatNode> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const key of ['HARDHAT_NETWORK', 'RPC_URL', 'PRIVATE_KEY', 'CHAIN_ID']) delete env[key];
  const args = ['hardhat', '--config', CONFIG, 'node', '--port', String(port), '--hostname', '127.0.0.1'];
  const child: ChildProcess = spawn('npx', args, {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const failed = exited.then(() => {
    throw new Error(`hardhat node exited (${child.exitCode ?? child.signalCode}) before listening:\n${errors}`);
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  try {
    await Promise.race([waitForPort(port, timeoutMs), failed]);
  } catch (error) {
    killGroup('SIGKILL');
    throw error;
  }
  failed.catch(() => undefined);

  const url = `http://127.0.0.1:${port}`;
  // No response cache: the tests mine and read back at once (ethers caches identical calls for 250 ms by default).
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  const { mnemonic, path } = hre.config.networks.hardhat.accounts as { mnemonic: string; path: string };
  const wallets = new Map<number, Wallet>();
  return {
    url,
    provider,
    wallet(i) {
      let wallet = wallets.get(i);
      if (wallet === undefined) {
        wallet = new Wallet(HDNodeWallet.fromPhrase(mnemonic, undefined, `${path}/${i}`).privateKey, provider);
        wallets.set(i, wallet);
      }
      return wallet;
    },
    async mine(blocks) {
      for (let i = 0; i < blocks; i++) await provider.send('evm_mine', []);
    },
    blockNumber: () => provider.getBlockNumber(),
    async stop() {
      provider.destroy();
      killGroup('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const gone = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5_000))),
      ]);
      clearTimeout(timer);
      if (!gone) {
        killGroup('SIGKILL');
        await exited;
      }
    },
  };
}
