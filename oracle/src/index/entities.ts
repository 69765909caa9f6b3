import type { Hex } from '../../../twin-core/src/encoding/hex';
import { IndexError } from './errors';
import type { Index } from './openIndex';
import { hashKey, type Row } from './values';

/** Entity roles by name, in the contract's `EntityRole` order (the position is the on-chain value). */
export const ENTITY_ROLES = ['none', 'manufacturer', 'owner', 'security'] as const;
export type EntityRoleName = (typeof ENTITY_ROLES)[number];

/** Entity statuses an indexed entity can have (an entity is indexed from its registration on). */
export const ENTITY_STATUSES = ['pending', 'approved', 'revoked'] as const;
export type EntityStatusName = (typeof ENTITY_STATUSES)[number];

/** A manufacturer, owner or security entity as mirrored from the entity registry's events. */
export type IndexedEntity = {
  account: string;
  /** Given at the first approval; null before it. */
  entityId: number | null;
  role: EntityRoleName;
  status: EntityStatusName;
  name: string;
  profileHash: Hex;
  profileCid: string;
  registeredBlock: number;
  updatedBlock: number;
};

/**
 * Inserts an entity or replaces every field of the one with its account.
 *
 * @example
 * upsertEntity(index, { account, entityId: null, role: 'owner', status: 'pending', name: 'Alice',
 *   profileHash: ZeroHash, profileCid: '', registeredBlock: 5, updatedBlock: 5 })
 */
export function upsertEntity(index: Index, entity: IndexedEntity): void {
  if (!(ENTITY_STATUSES as readonly string[]).includes(entity.status)) {
    throw new IndexError('Invalid entity status.', { details: entity.status });
  }
  index
    .statement(
      `INSERT INTO entities (account, entity_id, role, status, name, profile_hash, profile_cid, registered_block,
         updated_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account) DO UPDATE SET account = excluded.account, entity_id = excluded.entity_id,
         role = excluded.role, status = excluded.status, name = excluded.name, profile_hash = excluded.profile_hash,
         profile_cid = excluded.profile_cid, registered_block = excluded.registered_block,
         updated_block = excluded.updated_block`,
    )
    .run(
      entity.account,
      entity.entityId,
      entity.role,
      entity.status,
      entity.name,
      hashKey(entity.profileHash, 'profile hash'),
      entity.profileCid,
      entity.registeredBlock,
      entity.updatedBlock,
    );
}

/**
 * Removes an entity (a reorganisation undid its registration).
 *
 * @example
 * deleteEntity(index, account)
 */
export function deleteEntity(index: Index, account: string): boolean {
  return Number(index.statement('DELETE FROM entities WHERE account = ?').run(account).changes) === 1;
}

/**
 * The entity registered from `account` (any case), or undefined.
 *
 * @example
 * getEntity(index, manufacturer)?.name
 */
export function getEntity(index: Index, account: string): IndexedEntity | undefined {
  const row = index.statement('SELECT * FROM entities WHERE account = ?').get(account) as Row | undefined;
  return row === undefined ? undefined : entityFromRow(row);
}

/**
 * Entities in registration order, optionally of one role and status.
 *
 * @example
 * listEntities(index, { role: 'security', status: 'approved' })
 */
export function listEntities(
  index: Index,
  query: { role?: EntityRoleName; status?: EntityStatusName } = {},
): IndexedEntity[] {
  const rows = index
    .statement(
      `SELECT * FROM entities WHERE (?1 IS NULL OR role = ?1) AND (?2 IS NULL OR status = ?2)
       ORDER BY registered_block, account`,
    )
    .all(query.role ?? null, query.status ?? null) as Row[];
  return rows.map(entityFromRow);
}

function entityFromRow(row: Row): IndexedEntity {
  return {
    account: row.account as string,
    entityId: row.entity_id as number | null,
    role: row.role as EntityRoleName,
    status: row.status as EntityStatusName,
    name: row.name as string,
    profileHash: row.profile_hash as Hex,
    profileCid: row.profile_cid as string,
    registeredBlock: row.registered_block as number,
    updatedBlock: row.updated_block as number,
  };
}
