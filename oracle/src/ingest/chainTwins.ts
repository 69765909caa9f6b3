import { Contract, type Provider } from 'ethers';
import type { TwinDirectory, TwinRecord } from './validateMessage';

const TWIN_ABI = [
  'function exists(uint256 deviceId) view returns (bool)',
  'function twinOf(uint256 deviceId) view returns (tuple(address owner, address deviceSigner, address manufacturer, uint8 state, bool forSale, uint96 price, bytes32 staticHash, uint32 updateCount, bool reviewRequested))',
];

/** Parameters of {@link createChainTwinDirectory}. */
export type CreateChainTwinDirectoryParameters = {
  provider: Provider;
  /** The TwinRegistry's address. */
  twinRegistry: string;
  /** How long an answer is reused, ms (default 5,000; 0: ask every time). */
  cacheMs?: number;
};

/**
 * Twins read from the chain itself (`TwinRegistry.exists` and `twinOf`), each answer cached briefly: what the oracle
 * falls back on for a twin its mirror has not reached yet, and what `npm run check-message` judges against.
 *
 * @example
 * const twins = createChainTwinDirectory({ provider, twinRegistry: deployment.contracts.TwinRegistry })
 * const twin = await twins.twin(deviceId) // { deviceSigner, state, staticHash } or undefined
 */
export function createChainTwinDirectory(parameters: CreateChainTwinDirectoryParameters): TwinDirectory {
  const contract = new Contract(parameters.twinRegistry, TWIN_ABI, parameters.provider);
  const cache = new Map<string, { at: number; twin: TwinRecord | undefined }>();
  const cacheMs = parameters.cacheMs ?? 5_000;
  return {
    async twin(deviceId) {
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
