import type { Provider } from 'ethers';
import { getTwin } from '../index/twins';
import type { Index } from '../index/openIndex';
import { TWIN_STATES } from '../index/twins';
import { createChainTwinDirectory } from './chainTwins';
import type { TwinDirectory } from './validateMessage';

/**
 * Twins as the oracle judges messages against them: the chain mirror in the index first (no RPC call per message),
 * the chain itself for a twin the mirror has not reached yet (minted within the confirmation window), cached briefly.
 *
 * @example
 * const twins = createTwinDirectory({ index, provider, twinRegistry: deployment.contracts.TwinRegistry })
 */
export function createTwinDirectory(parameters: {
  index: Index;
  provider: Provider;
  twinRegistry: string;
  cacheMs?: number;
}): TwinDirectory {
  const chain = createChainTwinDirectory(parameters);
  return {
    async twin(deviceId) {
      const mirrored = getTwin(parameters.index, deviceId);
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
