import type { Provider } from 'ethers';
import { getTwin, TWIN_STATES, type Store } from '../../../store/src';
import { createChainTwinDirectory } from './chainTwins';
import type { TwinDirectory } from './validateMessage';

/**
 * Twins as the oracle judges messages against them: the chain mirror in the shared index first (no RPC call per message),
 * the chain itself for a twin the mirror has not reached yet (minted within the confirmation window), cached briefly.
 *
 * @example
 * const twins = createTwinDirectory({ index, provider, twinRegistry: deployment.contracts.TwinRegistry })
 */
export function createTwinDirectory(parameters: {
  index: Store;
  provider: Provider;
  twinRegistry: string;
  cacheMs?: number;
}): TwinDirectory {
  const chain = createChainTwinDirectory(parameters);
  return {
    async twin(deviceId) {
      const mirrored = await getTwin(parameters.index, deviceId);
      if (mirrored !== undefined) {
        return {
          deviceSigner: mirrored.deviceSigner,
          state: TWIN_STATES.indexOf(mirrored.state),
          staticHash: mirrored.staticHash,
        };
      }
      return chain.twin(deviceId);
    },
  };
}
