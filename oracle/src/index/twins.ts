import type { Hex } from '../../../twin-core/src/encoding/hex';
import { IndexError } from './errors';
import type { Index } from './openIndex';
import { deviceIdKey, hashKey, pageSize, weiText, type Row, type WeiInput } from './values';

/** Twin states by name, in the contract's `TwinState` order (the position is the on-chain value). */
export const TWIN_STATES = ['active', 'suspended', 'unknown', 'deactivated', 'lost'] as const;
export type TwinStateName = (typeof TWIN_STATES)[number];

/** A twin as mirrored from chain events: the contract's `twinOf` record plus its static CID and blocks. */
export type IndexedTwin = {
  deviceId: Hex;
  owner: string;
  manufacturer: string;
  deviceSigner: string;
  state: TwinStateName;
  forSale: boolean;
  /** Listing price in wei; 0 when not for sale, as `twinOf` reports it. */
  price: bigint;
  staticHash: Hex;
  staticCid: string;
  updateCount: number;
  reviewRequested: boolean;
  mintedBlock: number;
  /** Block of the last event applied to this twin. */
  updatedBlock: number;
};

/** What {@link upsertTwin} takes: an {@link IndexedTwin} with any DeviceID notation and a bigint or decimal price. */
export type TwinInput = Omit<IndexedTwin, 'deviceId' | 'price' | 'staticHash'> & {
  deviceId: string | bigint;
  price: WeiInput;
  staticHash: string;
};

/** The fields of a twin that change after its mint. */
export type TwinPatch = Partial<
  Pick<IndexedTwin, 'owner' | 'deviceSigner' | 'state' | 'forSale' | 'updateCount' | 'reviewRequested'> & {
    price: WeiInput;
  }
>;

const COLUMNS: Record<keyof TwinPatch, string> = {
  owner: 'owner',
  deviceSigner: 'device_signer',
  state: 'state',
  forSale: 'for_sale',
  price: 'price',
  updateCount: 'update_count',
  reviewRequested: 'review_requested',
};

/**
 * Inserts a twin or replaces every field of the one with its DeviceID.
 *
 * @example
 * upsertTwin(index, { deviceId, owner, manufacturer: owner, deviceSigner, state: 'active', forSale: false, price: 0n,
 *   staticHash, staticCid, updateCount: 0, reviewRequested: false, mintedBlock: 12, updatedBlock: 12 })
 */
export function upsertTwin(index: Index, twin: TwinInput): void {
  checkState(twin.state);
  index
    .statement(
      `INSERT INTO twins (device_id, owner, manufacturer, device_signer, state, for_sale, price, static_hash, static_cid,
         update_count, review_requested, minted_block, updated_block)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET owner = excluded.owner, manufacturer = excluded.manufacturer,
         device_signer = excluded.device_signer, state = excluded.state, for_sale = excluded.for_sale,
         price = excluded.price, static_hash = excluded.static_hash, static_cid = excluded.static_cid,
         update_count = excluded.update_count, review_requested = excluded.review_requested,
         minted_block = excluded.minted_block, updated_block = excluded.updated_block`,
    )
    .run(
      deviceIdKey(twin.deviceId),
      twin.owner,
      twin.manufacturer,
      twin.deviceSigner,
      twin.state,
      twin.forSale ? 1 : 0,
      weiText(twin.price, 'price'),
      hashKey(twin.staticHash, 'static hash'),
      twin.staticCid,
      twin.updateCount,
      twin.reviewRequested ? 1 : 0,
      twin.mintedBlock,
      twin.updatedBlock,
    );
}

/**
 * Changes some fields of a twin and sets its `updatedBlock`; false when the index has no such twin.
 *
 * @example
 * updateTwin(index, deviceId, { forSale: true, price: 10n ** 18n }, block)
 */
export function updateTwin(index: Index, deviceId: string | bigint, patch: TwinPatch, block: number): boolean {
  const keys = (Object.keys(patch) as (keyof TwinPatch)[]).filter((key) => patch[key] !== undefined);
  const values = keys.map((key) => {
    const value = patch[key]!;
    if (key === 'state') checkState(value as TwinStateName);
    if (key === 'price') return weiText(value as WeiInput, 'price');
    return typeof value === 'boolean' ? (value ? 1 : 0) : (value as string | number);
  });
  const assignments = [...keys.map((key) => `${COLUMNS[key]} = ?`), 'updated_block = ?'].join(', ');
  const { changes } = index
    .statement(`UPDATE twins SET ${assignments} WHERE device_id = ?`)
    .run(...values, block, deviceIdKey(deviceId));
  return Number(changes) === 1;
}

/**
 * Removes a twin with its update and state histories: the chain mirror does when a reorganisation undoes its mint
 * or when the registrar disputes (burns) it.
 *
 * @example
 * deleteTwin(index, deviceId)
 */
export function deleteTwin(index: Index, deviceId: string | bigint): boolean {
  const key = deviceIdKey(deviceId);
  // Its update and state histories reference it: a burned (disputed) twin leaves with them.
  index.statement('DELETE FROM twin_updates WHERE device_id = ?').run(key);
  index.statement('DELETE FROM twin_state_changes WHERE device_id = ?').run(key);
  return Number(index.statement('DELETE FROM twins WHERE device_id = ?').run(key).changes) === 1;
}

/**
 * The twin with `deviceId`, or undefined.
 *
 * @example
 * const twin = getTwin(index, '0x5f…')
 * if (twin?.state === 'deactivated') …
 */
export function getTwin(index: Index, deviceId: string | bigint): IndexedTwin | undefined {
  const row = index.statement('SELECT * FROM twins WHERE device_id = ?').get(deviceIdKey(deviceId)) as Row | undefined;
  return row === undefined ? undefined : twinFromRow(row);
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
 * Twins matching every given filter, in mint order, one page at a time.
 *
 * @example
 * const { items, total } = listTwins(index, { owner: alice, forSale: true, page: 2, pageSize: 20 })
 */
export function listTwins(index: Index, query: ListTwinsQuery = {}): TwinPage {
  if (query.state !== undefined) checkState(query.state);
  const forSale = query.forSale === undefined ? undefined : query.forSale ? 1 : 0;
  const filters = (
    [
      ['owner', query.owner],
      ['manufacturer', query.manufacturer],
      ['state', query.state],
      ['for_sale', forSale],
    ] as const
  ).filter(([, value]) => value !== undefined);
  const where = filters.length === 0 ? '' : `WHERE ${filters.map(([column]) => `${column} = ?`).join(' AND ')}`;
  const values = filters.map(([, value]) => value!);
  const size = pageSize(query.pageSize, 50, 500);
  const page = query.page ?? 1;
  if (!Number.isInteger(page) || page < 1) throw new IndexError('Invalid page.', { details: `got ${page}` });
  const { total } = index.statement(`SELECT count(*) AS total FROM twins ${where}`).get(...values) as { total: number };
  const rows = index
    .statement(`SELECT * FROM twins ${where} ORDER BY minted_block, device_id LIMIT ? OFFSET ?`)
    .all(...values, size, (page - 1) * size) as Row[];
  return { items: rows.map(twinFromRow), total, page, pageSize: size };
}

function checkState(state: string): void {
  if (!(TWIN_STATES as readonly string[]).includes(state)) {
    throw new IndexError('Invalid twin state.', { details: `${state} is not one of ${TWIN_STATES.join(', ')}` });
  }
}

function twinFromRow(row: Row): IndexedTwin {
  return {
    deviceId: row.device_id as Hex,
    owner: row.owner as string,
    manufacturer: row.manufacturer as string,
    deviceSigner: row.device_signer as string,
    state: row.state as TwinStateName,
    forSale: row.for_sale === 1,
    price: BigInt(row.price as string),
    staticHash: row.static_hash as Hex,
    staticCid: row.static_cid as string,
    updateCount: row.update_count as number,
    reviewRequested: row.review_requested === 1,
    mintedBlock: row.minted_block as number,
    updatedBlock: row.updated_block as number,
  };
}
