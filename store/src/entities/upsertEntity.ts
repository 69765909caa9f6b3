import type { Db } from '../pool/withTransaction';
import { addressText, hashKey, sequenceNumber, pgText } from '../values';
import { checkEntityRole, checkEntityStatus, type IndexedEntity } from './types';

const UPSERT = {
  name: 'store.entities.upsert',
  text: `INSERT INTO entities (account, entity_id, role, status, name, profile_hash, profile_cid, registered_block,
           updated_block) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (account) DO UPDATE SET account = excluded.account, entity_id = excluded.entity_id,
           role = excluded.role, status = excluded.status, name = excluded.name, profile_hash = excluded.profile_hash,
           profile_cid = excluded.profile_cid, registered_block = excluded.registered_block,
           updated_block = excluded.updated_block`,
};
const DELETE = { name: 'store.entities.delete', text: 'DELETE FROM entities WHERE account = $1::text' };

/**
 * Inserts an entity or replaces every field of the one with its account (any case: the account's spelling is
 * replaced too), in one statement (`INSERT … ON CONFLICT`).
 *
 * @example
 * await upsertEntity(store, { account, entityId: null, role: 'owner', status: 'pending', name: 'Alice',
 *   profileHash: ZeroHash, profileCid: '', registeredBlock: 5, updatedBlock: 5 })
 */
export async function upsertEntity(db: Db, entity: IndexedEntity): Promise<void> {
  await db.query(UPSERT, [
    addressText(entity.account, 'account'),
    entity.entityId === null ? null : sequenceNumber(entity.entityId, 'entity ID'),
    checkEntityRole(entity.role),
    checkEntityStatus(entity.status),
    pgText(entity.name),
    hashKey(entity.profileHash, 'profile hash'),
    pgText(entity.profileCid),
    sequenceNumber(entity.registeredBlock, 'registered block'),
    sequenceNumber(entity.updatedBlock, 'updated block'),
  ]);
}

/**
 * Removes an entity (a reorganisation undid its registration); false when there was none.
 *
 * @example
 * await deleteEntity(store, account)
 */
export async function deleteEntity(db: Db, account: string): Promise<boolean> {
  const { rowCount } = await db.query(DELETE, [pgText(account)]);
  return rowCount === 1;
}
