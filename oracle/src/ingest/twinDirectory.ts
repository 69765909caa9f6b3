import type { Provider } from 'ethers';
import { createTwinLoader, TWIN_STATES, type Store } from '../../../store/src';
import { createChainTwinDirectory } from './chainTwins';
import type { TwinDirectory } from './validateMessage';

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
 * The index is read in batches (`createTwinLoader`): lookups asked while one statement runs (a burst of messages)
 * wait for the next, which reads all of them, so 10,000 messages arriving together cost about ten statements, not
 * 10,000 pool connections. The mirror's answers are not cached: a new device signer or a deactivation counts from
 * the next statement.
 *
 * @example
 * const twins = createTwinDirectory({ index, provider, twinRegistry: deployment.contracts.TwinRegistry })
 * const twin = await twins.twin(deviceId) // { deviceSigner, state, staticHash } or undefined
 */
export function createTwinDirectory(parameters: CreateTwinDirectoryParameters): OracleTwinDirectory {
  const chain = createChainTwinDirectory(parameters);
  const loader = createTwinLoader(parameters.index);
  return {
    lookups: loader.stats,
    async twin(deviceId) {
      const twin = await loader.load(deviceId);
      if (twin !== undefined) {
        return { deviceSigner: twin.deviceSigner, state: TWIN_STATES.indexOf(twin.state), staticHash: twin.staticHash };
      }
      return chain.twin(deviceId);
    },
  };
}
