import { Contract, type Provider } from 'ethers';
import { getTwin } from '../index/twins';
import type { Index } from '../index/openIndex';
import { TWIN_STATES } from '../index/twins';
import type { TwinDirectory, TwinRecord } from './validateMessage';

const TWIN_ABI = [
  'function exists(uint256 deviceId) view returns (bool)',
  'function twinOf(uint256 deviceId) view returns (tuple(address owner, address deviceSigner, address manufacturer, uint8 state, bool forSale, uint96 price, bytes32 staticHash, uint32 updateCount, bool reviewRequested))',
];

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
  const contract = new Contract(parameters.twinRegistry, TWIN_ABI, parameters.provider);
  const cache = new Map<string, { at: number; twin: TwinRecord | undefined }>();
  const cacheMs = parameters.cacheMs ?? 5_000;
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
      const cached = cache.get(deviceId);
      if (cached !== undefined && Date.now() - cached.at < cacheMs) return cached.twin;
      const exists = (await contract.getFunction('exists').staticCall(deviceId)) as boolean;
      const twin = exists
        ? await contract
            .getFunction('twinOf')
            .staticCall(deviceId)
            .then((record: { deviceSigner: string; state: bigint; staticHash: string }) => ({
              deviceSigner: record.deviceSigner,
              state: Number(record.state),
              staticHash: record.staticHash,
            }))
        : undefined;
      if (cache.size > 10_000) cache.clear();
      cache.set(deviceId, { at: Date.now(), twin });
      return twin;
    },
  };
}
