import type { Hex } from '../../../twin-core/src/encoding/hex';
import { StoreError } from '../errors';
import type { Row } from '../values';

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
 * `status` if it is an {@link EntityStatusName}, else a StoreError naming it.
 *
 * @example
 * checkEntityStatus(query.status)
 */
export function checkEntityStatus(status: string): EntityStatusName {
  if (!(ENTITY_STATUSES as readonly string[]).includes(status)) {
    throw new StoreError('Invalid entity status.', {
      details: `${status} is not one of ${ENTITY_STATUSES.join(', ')}`,
    });
  }
  return status as EntityStatusName;
}

/**
 * `role` if it is an {@link EntityRoleName}, else a StoreError naming it.
 *
 * @example
 * checkEntityRole(query.role)
 */
export function checkEntityRole(role: string): EntityRoleName {
  if (!(ENTITY_ROLES as readonly string[]).includes(role)) {
    throw new StoreError('Invalid entity role.', { details: `${role} is not one of ${ENTITY_ROLES.join(', ')}` });
  }
  return role as EntityRoleName;
}

/** The columns of an entity, in {@link entityFromRow}'s terms. */
export const ENTITY_COLUMNS =
  'account, entity_id, role, status, name, profile_hash, profile_cid, registered_block, updated_block';

/**
 * An `entities` row as the store returns it.
 *
 * @example
 * rows.map(entityFromRow)
 */
export function entityFromRow(row: Row): IndexedEntity {
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
