import type { Hex } from '../../../twin-core/src/encoding/hex';
import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, type Row, pgText } from '../values';
import { TWIN_COLUMNS, checkTwinState, twinFromRow, type IndexedTwin, type TwinStateName } from './types';

// The twin view's read: a prepared statement on the primary key.
const GET = { name: 'store.twins.get', text: `SELECT ${TWIN_COLUMNS} FROM twins WHERE device_id = $1` };

/**
 * The twin with `deviceId` (any notation), or undefined.
 *
 * @example
 * const twin = await getTwin(store, '0x5f…')
 * if (twin?.state === 'deactivated') …
 */
export async function getTwin(db: Db, deviceId: string | bigint): Promise<IndexedTwin | undefined> {
  const { rows } = await db.query<Row>(GET, [deviceIdKey(deviceId)]);
  return rows[0] === undefined ? undefined : twinFromRow(rows[0]);
}

const GET_MANY = {
  name: 'store.twins.getMany',
  text: `SELECT ${TWIN_COLUMNS} FROM twins WHERE device_id = ANY($1::text[])`,
};

/**
 * The twins of `deviceIds` the store has, by DeviceID (`0x` + 64 lower-case hex), in one query: what a caller
 * looking up many twins (a topology, a page of entities' twins) uses instead of one {@link getTwin} per twin.
 *
 * @example
 * const twins = await getTwins(store, deviceIds)
 * const missing = deviceIds.filter((deviceId) => !twins.has(deviceIdKey(deviceId)))
 */
export async function getTwins(db: Db, deviceIds: readonly (string | bigint)[]): Promise<Map<Hex, IndexedTwin>> {
  if (deviceIds.length === 0) return new Map();
  const { rows } = await db.query<Row>(GET_MANY, [[...new Set(deviceIds.map(deviceIdKey))]]);
  return new Map(rows.map((row) => [row.device_id as Hex, twinFromRow(row)]));
}

/** Filters and page of {@link listTwins}. Address filters ignore case. */
export type ListTwinsQuery = {
  owner?: string;
  manufacturer?: string;
  state?: TwinStateName;
  forSale?: boolean;
  /** From 1 (default 1). */
  page?: number;
  /** Default 50, at most 500. */
  pageSize?: number;
};

/** A page of twins and how many match in all. */
export type TwinPage = { items: IndexedTwin[]; total: number; page: number; pageSize: number };

/**
 * Twins matching every given filter, in mint order (the index `twins_mint_order`), one page at a time, and how
 * many match in all. Both are read in one statement, so the total and the page agree.
 *
 * @example
 * const { items, total } = await listTwins(store, { owner: alice, forSale: true, page: 2, pageSize: 20 })
 */
export async function listTwins(db: Db, query: ListTwinsQuery = {}): Promise<TwinPage> {
  const filters = (
    [
      // Compared as text under the column's collation (nocase): any spelling matches, a malformed one matches nothing.
      ['owner', query.owner === undefined ? undefined : pgText(query.owner), '::text'],
      ['manufacturer', query.manufacturer === undefined ? undefined : pgText(query.manufacturer), '::text'],
      ['state', query.state === undefined ? undefined : checkTwinState(query.state), ''],
    ] as const
  ).filter(([, value]) => value !== undefined);
  // The sale flag is written into the statement (its name tells which), so a for-sale listing can use the partial
  // index twins_for_sale, which a parameter's generic plan cannot.
  const sale = query.forSale === undefined ? [] : [query.forSale ? 'for_sale' : 'NOT for_sale'];
  const size = pageSize(query.pageSize, 50, 500);
  const page = query.page ?? 1;
  if (!Number.isSafeInteger(page) || page < 1) {
    throw new StoreError('Invalid page.', { details: `expected an integer ≥ 1, got ${page}` });
  }
  const conditions = [...filters.map(([column, , cast], n) => `${column} = $${n + 1}${cast}`), ...sale];
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  const values = filters.map(([, value]) => value);
  const limit = `$${filters.length + 1}`;
  const offset = `$${filters.length + 2}`;
  const { rows } = await db.query<Row & { total: number }>(
    {
      // One prepared statement per set of filters (at most 24), so each is planned for its own index.
      name: `store.twins.list.${[
        ...filters.map(([column]) => column),
        ...sale.map((flag) => flag.replace(' ', '_')),
      ].join('.')}`,
      text: `SELECT (SELECT count(*) FROM twins ${where}) AS total, page.* FROM (SELECT 1) one
             LEFT JOIN LATERAL (SELECT ${TWIN_COLUMNS} FROM twins ${where}
               ORDER BY minted_block, device_id LIMIT ${limit} OFFSET ${offset}) page ON true`,
    },
    [...values, size, (page - 1) * size],
  );
  const total = Number(rows[0]?.total ?? 0);
  const items = rows.filter((row) => row.device_id !== null).map(twinFromRow);
  return { items, total, page, pageSize: size };
}
