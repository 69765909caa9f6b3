import { chainEventsOf, MAX_CHAIN_EVENTS_LIMIT, type Db } from '../../../store/src';

/** The device signers the chain recorded for one twin, each with the block it was set in, oldest first. */
export type SignerHistory = { block: number; signer: string }[];

/** Reads the signers of twins from the mirrored chain event log, keeping at most `limit` twins' histories. */
export type DeviceSigners = {
  /**
   * The signers twin `deviceId` had at or before block `block` (the mint's and each `DeviceSignerChanged`'s), lower
   * case; empty when no twin was minted with this DeviceID by then.
   */
  before(deviceId: string, block: number): Promise<string[]>;
};

/**
 * The device keys the chain vouches for, read from the index's chain event log (the mirror's replay, done before
 * any batch is rebuilt), cached for up to `limit` twins (default 10,000; then the cache starts again).
 *
 * @example
 * const signers = createDeviceSigners(index)
 * if (!(await signers.before(leaf.deviceId, event.block)).includes(signer.toLowerCase())) report('wrong signer')
 */
export function createDeviceSigners(index: Db, limit = 10_000): DeviceSigners {
  const cache = new Map<string, SignerHistory>();
  async function historyOf(deviceId: string): Promise<SignerHistory> {
    const key = deviceId.toLowerCase();
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const history: SignerHistory = [];
    for (const event of await chainEventsOf(index, key, { limit: MAX_CHAIN_EVENTS_LIMIT })) {
      const payload = event.payload as { deviceSigner?: string; newSigner?: string };
      if (event.name === 'TwinMinted' && payload.deviceSigner !== undefined) {
        history.push({ block: event.block, signer: payload.deviceSigner.toLowerCase() });
      } else if (event.name === 'DeviceSignerChanged' && payload.newSigner !== undefined) {
        history.push({ block: event.block, signer: payload.newSigner.toLowerCase() });
      }
    }
    if (cache.size >= limit) cache.clear();
    cache.set(key, history);
    return history;
  }
  return {
    async before(deviceId, block) {
      return (await historyOf(deviceId)).filter((entry) => entry.block <= block).map((entry) => entry.signer);
    },
  };
}
