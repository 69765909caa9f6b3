import type { Db } from '../pool/withTransaction';
import { addressText, deviceIdKey, hashKey, sequenceNumber, weiText, pgText } from '../values';
import { checkTwinState, type TwinInput } from './types';

const UPSERT = {
  name: 'store.twins.upsert',
  text: `INSERT INTO twins (device_id, owner, manufacturer, device_signer, state, for_sale, price, static_hash, static_cid,
           update_count, review_requested, minted_block, updated_block)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (device_id) DO UPDATE SET owner = excluded.owner, manufacturer = excluded.manufacturer,
           device_signer = excluded.device_signer, state = excluded.state, for_sale = excluded.for_sale,
           price = excluded.price, static_hash = excluded.static_hash, static_cid = excluded.static_cid,
           update_count = excluded.update_count, review_requested = excluded.review_requested,
           minted_block = excluded.minted_block, updated_block = excluded.updated_block`,
};

/**
 * Inserts a twin or replaces every field of the one with its DeviceID, in one statement (`INSERT … ON CONFLICT`:
 * two instances writing one twin at once never fail, the last write wins). Bad fields are refused by name.
 *
 * @example
 * await upsertTwin(store, { deviceId, owner, manufacturer: owner, deviceSigner, state: 'active', forSale: false,
 *   price: 0n, staticHash, staticCid, updateCount: 0, reviewRequested: false, mintedBlock: 12, updatedBlock: 12 })
 */
export async function upsertTwin(db: Db, twin: TwinInput): Promise<void> {
  await db.query(UPSERT, [
    deviceIdKey(twin.deviceId),
    addressText(twin.owner, 'owner'),
    addressText(twin.manufacturer, 'manufacturer'),
    addressText(twin.deviceSigner, 'device signer'),
    checkTwinState(twin.state),
    Boolean(twin.forSale),
    weiText(twin.price, 'price'),
    hashKey(twin.staticHash, 'static hash'),
    pgText(twin.staticCid),
    sequenceNumber(twin.updateCount, 'update count'),
    Boolean(twin.reviewRequested),
    sequenceNumber(twin.mintedBlock, 'minted block'),
    sequenceNumber(twin.updatedBlock, 'updated block'),
  ]);
}
