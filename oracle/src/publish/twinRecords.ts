import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { TwinRecordBody } from '../../../twin-core/src/messages/oracleMessage';
import type { Index } from '../index/openIndex';
import type { OracleSigner } from './oracleSigner';

/** Parameters of {@link createTwinRecordPublisher}. */
export type TwinRecordPublisherParameters = {
  index: Index;
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
  publishChanged(): number;
};

/**
 * Publishes each twin's signed record on `twins/{deviceId}/twin`, retained, whenever its owner, state or device
 * signer changes in the index (the chain mirror's confirmed view), and every twin's once per start: what a device
 * without an RPC endpoint learns its owner from. Bounded memory: one short fingerprint per twin.
 *
 * @example
 * const records = createTwinRecordPublisher({ index, signer, chainId, registry, publish })
 * setInterval(() => records.publishChanged(), 1000)
 */
export function createTwinRecordPublisher(parameters: TwinRecordPublisherParameters): TwinRecordPublisher {
  const published = new Map<string, string>();
  const maxPerPass = parameters.maxPerPass ?? 250;
  let fromBlock = -1;
  return {
    publishChanged() {
      const rows = parameters.index
        .statement(
          `SELECT device_id, owner, state, device_signer, manufacturer, updated_block FROM twins
           WHERE updated_block >= ? ORDER BY updated_block, device_id`,
        )
        .all(fromBlock) as {
        device_id: string;
        owner: string;
        state: TwinRecordBody['state'];
        device_signer: string;
        manufacturer: string;
        updated_block: number;
      }[];
      let count = 0;
      for (const row of rows) {
        const fingerprint = `${row.owner}:${row.state}:${row.device_signer}:${row.updated_block}`;
        if (published.get(row.device_id) === fingerprint) continue;
        if (count >= maxPerPass) return count;
        const record = parameters.signer.twinRecord(row.device_id as Hex, {
          owner: row.owner,
          state: row.state,
          deviceSigner: row.device_signer,
          manufacturer: row.manufacturer,
          chainId: parameters.chainId,
          registry: parameters.registry,
          block: Number(row.updated_block),
        });
        parameters.publish(`twins/${row.device_id}/twin`, JSON.stringify(record));
        published.set(row.device_id, fingerprint);
        fromBlock = Math.max(fromBlock, Number(row.updated_block));
        count++;
      }
      return count;
    },
  };
}
