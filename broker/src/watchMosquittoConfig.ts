import type { Provider } from 'ethers';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import { brokerPrincipalsFromChain, writeMosquittoFiles, type MosquittoFiles } from './mosquittoConfig';

/** Parameters of {@link watchMosquittoConfig}. */
export type WatchMosquittoConfigParameters = {
  provider: Provider;
  deployment: Deployment;
  /** Where `passwords` and `acl` go. */
  directory: string;
  secret: string;
  /** How often the chain is asked for new registry events, ms (default 1,000). */
  pollMs?: number;
  /** The longest between two full re-reads even without an event, ms (default: never; the task's `--watch`). */
  fullEveryMs?: number;
  /** Mosquitto's process: sent SIGHUP after each change, so it reloads both files (and refuses the revoked). */
  pid?: number;
  /** Each time the files were written: what was written and why (`start`, `event`, `interval`). */
  onWrite?: (files: MosquittoFiles, reason: 'start' | 'event' | 'interval') => void;
  /** Stops the watch (it then resolves). */
  signal?: AbortSignal;
};

/**
 * Keeps Mosquitto's password and ACL files in step with the chain: writes them once, then follows the registry's
 * events (any log of `TwinRegistry` or `EntityRegistry`: a mint, a deactivation, a role granted or revoked, an entity
 * approved or revoked) block by block and re-reads the principals at once when one comes, rewriting the files and
 * sending Mosquitto SIGHUP only when they changed. `fullEveryMs` adds a periodic full re-read.
 *
 * @example
 * await watchMosquittoConfig({ provider, deployment, directory: '/etc/mosquitto/twin', secret, pid, signal })
 */
export async function watchMosquittoConfig(parameters: WatchMosquittoConfigParameters): Promise<void> {
  const { provider, deployment, signal } = parameters;
  const pollMs = parameters.pollMs ?? 1_000;
  const addresses = [deployment.contracts.TwinRegistry, deployment.contracts.EntityRegistry];
  let written = '';
  let lastFull = Date.now();
  const refresh = async (reason: 'start' | 'event' | 'interval') => {
    // The head first: events after it are read next time, so none falls between the read and the cursor.
    const head = await provider.getBlockNumber();
    const entries = await brokerPrincipalsFromChain({ provider, deployment });
    lastFull = Date.now();
    const key = JSON.stringify(entries);
    if (key !== written) {
      written = key;
      const files = writeMosquittoFiles({
        directory: parameters.directory,
        entries,
        secret: parameters.secret,
      });
      if (parameters.pid !== undefined && parameters.pid > 0) process.kill(parameters.pid, 'SIGHUP');
      parameters.onWrite?.(files, reason);
    }
    return head;
  };
  let cursor = await refresh('start');
  while (!signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal?.aborted) break;
    const head = await provider.getBlockNumber();
    if (head > cursor) {
      const logs = await provider.getLogs({ address: addresses, fromBlock: cursor + 1, toBlock: head });
      if (logs.length > 0) {
        cursor = await refresh('event');
        continue;
      }
      cursor = head;
    }
    if (parameters.fullEveryMs !== undefined && Date.now() - lastFull >= parameters.fullEveryMs) {
      cursor = await refresh('interval');
    }
  }
}
