import type { Db } from '../pool/withTransaction';
import { addressText, deviceIdKey, sequenceNumber, weiText, type WeiInput } from '../values';
import { checkTwinState, type TwinPatch, type TwinStateName } from './types';

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
 * Changes some fields of a twin and sets its `updatedBlock`, in one `UPDATE` (atomic: no read first); false when
 * the store has no such twin.
 *
 * @example
 * await updateTwin(store, deviceId, { forSale: true, price: 10n ** 18n }, block)
 */
export async function updateTwin(db: Db, deviceId: string | bigint, patch: TwinPatch, block: number): Promise<boolean> {
  const keys = (Object.keys(COLUMNS) as (keyof TwinPatch)[]).filter((key) => patch[key] !== undefined);
  const values = keys.map((key) => {
    const value = patch[key]!;
    switch (key) {
      case 'state':
        return checkTwinState(value as TwinStateName);
      case 'price':
        return weiText(value as WeiInput, 'price');
      case 'owner':
        return addressText(value as string, 'owner');
      case 'deviceSigner':
        return addressText(value as string, 'device signer');
      case 'updateCount':
        return sequenceNumber(value as number, 'update count');
      default:
        return Boolean(value);
    }
  });
  const assignments = [...keys.map((key, n) => `${COLUMNS[key]} = $${n + 1}`), `updated_block = $${keys.length + 1}`];
  const { rowCount } = await db.query(
    {
      // One prepared statement per set of fields (at most 2^7), the text fixed by the name.
      name: `store.twins.update.${keys.join('.')}`,
      text: `UPDATE twins SET ${assignments.join(', ')} WHERE device_id = $${keys.length + 2}`,
    },
    [...values, sequenceNumber(block, 'block'), deviceIdKey(deviceId)],
  );
  return rowCount === 1;
}
