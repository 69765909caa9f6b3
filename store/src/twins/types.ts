import type { Hex } from '../../../twin-core/src/encoding/hex';
import { StoreError } from '../errors';
import type { Row, WeiInput } from '../values';

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

/** What upsertTwin takes: an {@link IndexedTwin} with any DeviceID notation and a bigint or decimal price. */
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

/**
 * `state` if it is a {@link TwinStateName}, else a StoreError naming it.
 *
 * @example
 * checkTwinState(query.state)
 */
export function checkTwinState(state: string): TwinStateName {
  if (!(TWIN_STATES as readonly string[]).includes(state)) {
    throw new StoreError('Invalid twin state.', { details: `${state} is not one of ${TWIN_STATES.join(', ')}` });
  }
  return state as TwinStateName;
}

/** The columns of a twin, in {@link twinFromRow}'s terms. */
export const TWIN_COLUMNS =
  'device_id, owner, manufacturer, device_signer, state, for_sale, price, static_hash, static_cid, update_count,' +
  ' review_requested, minted_block, updated_block';

/**
 * A `twins` row as the store returns it (`price` is numeric, returned as text).
 *
 * @example
 * rows.map(twinFromRow)
 */
export function twinFromRow(row: Row): IndexedTwin {
  return {
    deviceId: row.device_id as Hex,
    owner: row.owner as string,
    manufacturer: row.manufacturer as string,
    deviceSigner: row.device_signer as string,
    state: row.state as TwinStateName,
    forSale: row.for_sale as boolean,
    price: BigInt(row.price as string),
    staticHash: row.static_hash as Hex,
    staticCid: row.static_cid as string,
    updateCount: row.update_count as number,
    reviewRequested: row.review_requested as boolean,
    mintedBlock: row.minted_block as number,
    updatedBlock: row.updated_block as number,
  };
}
