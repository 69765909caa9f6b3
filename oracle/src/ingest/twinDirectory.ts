import type { Provider } from 'ethers';
import { deviceIdKey, getTwins, TWIN_STATES, type IndexedTwin, type Store } from '../../../store/src';
import { createChainTwinDirectory } from './chainTwins';
import type { TwinDirectory } from './validateMessage';

/** DeviceIDs looked up in one statement at most. */
const MAX_LOOKUP = 1_000;

/** Parameters of {@link createTwinDirectory}. */
export type CreateTwinDirectoryParameters = {
  index: Store;
  provider: Provider;
  twinRegistry: string;
  /** How long a chain answer (a twin the mirror does not have) is reused, ms (default 5,000). */
  cacheMs?: number;
};

/** The oracle's twin directory, with how many lookups it was asked (`twins`) and the statements they took. */
export type OracleTwinDirectory = TwinDirectory & { lookups: { twins: number; statements: number } };

/**
 * Twins as the oracle judges messages against them: the chain mirror in the shared index first (no RPC call per message),
 * the chain itself for a twin the mirror has not reached yet (minted within the confirmation window), cached briefly.
 * The index is read in batches: lookups asked while one statement runs (a burst of messages) wait for the next,
 * which reads all of them at once (`getTwins`, up to 1,000 DeviceIDs a statement), so 10,000 messages arriving
 * together cost about ten statements, not 10,000 pool connections. The mirror's answers are never cached: a new
 * device signer or a deactivation counts from the next statement.
 *
 * @example
 * const twins = createTwinDirectory({ index, provider, twinRegistry: deployment.contracts.TwinRegistry })
 * const twin = await twins.twin(deviceId) // { deviceSigner, state, staticHash } or undefined
 */
export function createTwinDirectory(parameters: CreateTwinDirectoryParameters): OracleTwinDirectory {
  const chain = createChainTwinDirectory(parameters);
  const lookups = { twins: 0, statements: 0 };
  const pending = new Map<
    string,
    { resolve: (twin: IndexedTwin | undefined) => void; reject: (error: Error) => void }[]
  >();
  let running = false;

  const drain = async (): Promise<void> => {
    running = true;
    try {
      while (pending.size > 0) {
        const keys = [...pending.keys()].slice(0, MAX_LOOKUP);
        const waiters = keys.map((key) => [key, pending.get(key)!] as const);
        for (const key of keys) pending.delete(key);
        lookups.statements++;
        try {
          const twins = await getTwins(parameters.index, keys);
          for (const [key, list] of waiters) for (const waiter of list) waiter.resolve(twins.get(key as never));
        } catch (error) {
          for (const [, list] of waiters) for (const waiter of list) waiter.reject(error as Error);
        }
      }
    } finally {
      running = false;
    }
  };

  const mirrored = (deviceId: string): Promise<IndexedTwin | undefined> => {
    const key = deviceIdKey(deviceId);
    lookups.twins++;
    return new Promise((resolve, reject) => {
      const list = pending.get(key);
      if (list === undefined) pending.set(key, [{ resolve, reject }]);
      else list.push({ resolve, reject });
      // The first lookup of a quiet moment starts a statement on the next turn (lookups of the same turn join it).
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
  };

  return {
    lookups,
    async twin(deviceId) {
      const twin = await mirrored(deviceId);
      if (twin !== undefined) {
        return { deviceSigner: twin.deviceSigner, state: TWIN_STATES.indexOf(twin.state), staticHash: twin.staticHash };
      }
      return chain.twin(deviceId);
    },
  };
}
