import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { TwinRecordBody } from '../../../twin-core/src/messages/oracleMessage';
import { twinsUpdatedSince, type Store } from '../../../store/src';
import type { OracleSigner } from './oracleSigner';

/** Parameters of {@link createTwinRecordPublisher}. */
export type TwinRecordPublisherParameters = {
  /** The shared index (PostgreSQL store). */
  index: Store;
  signer: OracleSigner;
  chainId: number;
  registry: string;
  /** Publishes a retained message (QoS 1). */
  publish: (topic: string, payload: string) => void;
  /**
   * Most records signed per pass (default 250): a large fleet at start is spread over passes (one a second), so the
   * signatures never stall ingestion.
   */
  maxPerPass?: number;
};

/** The publisher of twin records. */
export type TwinRecordPublisher = {
  /** Publishes the record of every twin whose owner, state or signer changed since it was last published. */
  publishChanged(): Promise<number>;
};

/**
 * Publishes each twin's signed record on `twins/{deviceId}/twin`, retained, whenever its owner, state or device
 * signer changes in the index (the chain mirror's confirmed view), and every twin's once per start: what a device
 * without an RPC endpoint learns its owner from. Bounded memory: one short fingerprint per twin.
 *
 * @example
 * const records = createTwinRecordPublisher({ index, signer, chainId, registry, publish })
 * setInterval(() => void records.publishChanged(), 1000)
 */
export function createTwinRecordPublisher(parameters: TwinRecordPublisherParameters): TwinRecordPublisher {
  const published = new Map<string, string>();
  const maxPerPass = parameters.maxPerPass ?? 250;
  let fromBlock = -1;
  return {
    async publishChanged() {
      const rows = await twinsUpdatedSince(parameters.index, fromBlock, 100_000);
      let count = 0;
      for (const row of rows) {
        const fingerprint = `${row.owner}:${row.state}:${row.deviceSigner}:${row.updatedBlock}`;
        if (published.get(row.deviceId) === fingerprint) continue;
        if (count >= maxPerPass) return count;
        const record = parameters.signer.twinRecord(row.deviceId as Hex, {
          owner: row.owner,
          state: row.state as TwinRecordBody['state'],
          deviceSigner: row.deviceSigner,
          manufacturer: row.manufacturer,
          chainId: parameters.chainId,
          registry: parameters.registry,
          block: row.updatedBlock,
        });
        parameters.publish(`twins/${row.deviceId}/twin`, JSON.stringify(record));
        published.set(row.deviceId, fingerprint);
        fromBlock = Math.max(fromBlock, row.updatedBlock);
        count++;
      }
      return count;
    },
  };
}
