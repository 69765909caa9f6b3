import type { Db } from '../pool/withTransaction';
import { type Row, pageSize, pgText } from '../values';
import {
  ENTITY_COLUMNS,
  checkEntityRole,
  checkEntityStatus,
  entityFromRow,
  type EntityRoleName,
  type EntityStatusName,
  type IndexedEntity,
} from './types';

/** Entities {@link listEntities} returns by default, and at most. */
export const MAX_ENTITIES_LIMIT = 10_000;

const GET = { name: 'store.entities.get', text: `SELECT ${ENTITY_COLUMNS} FROM entities WHERE account = $1::text` };
const LIST = {
  name: 'store.entities.list',
  text: `SELECT ${ENTITY_COLUMNS} FROM entities
         WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY registered_block, account LIMIT $3`,
};

/**
 * The entity registered from `account` (any case), or undefined (also for text that is no address).
 *
 * @example
 * (await getEntity(store, manufacturer))?.name
 */
export async function getEntity(db: Db, account: string): Promise<IndexedEntity | undefined> {
  const { rows } = await db.query<Row>(GET, [pgText(account)]);
  return rows[0] === undefined ? undefined : entityFromRow(rows[0]);
}

/**
 * Entities in registration order, optionally of one role and status: the first `limit` (default and at most
 * {@link MAX_ENTITIES_LIMIT}).
 *
 * @example
 * await listEntities(store, { role: 'security', status: 'approved' })
 */
export async function listEntities(
  db: Db,
  query: { role?: EntityRoleName; status?: EntityStatusName; limit?: number } = {},
): Promise<IndexedEntity[]> {
  const { rows } = await db.query<Row>(LIST, [
    query.role === undefined ? null : checkEntityRole(query.role),
    query.status === undefined ? null : checkEntityStatus(query.status),
    pageSize(query.limit, MAX_ENTITIES_LIMIT, MAX_ENTITIES_LIMIT),
  ]);
  return rows.map(entityFromRow);
}
