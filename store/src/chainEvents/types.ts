import { StoreError } from '../errors';
import type { Row } from '../values';

/**
 * A chain event the mirror applied, kept so that a reorganisation can be undone: the mirror deletes the events
 * above the fork and rebuilds what they touched from the events that remain.
 */
export type StoredChainEvent = {
  block: number;
  logIndex: number;
  blockHash: string;
  tx: string;
  /** The emitting contract's name, e.g. `TwinRegistry`. */
  contract: string;
  /** The event's name, e.g. `TwinListed`. */
  name: string;
  /** What it is about: a DeviceID, an entity's account or a batch root. */
  subject: string;
  /** The decoded event, JSON-safe. */
  payload: unknown;
};

/**
 * A block a rewind or cursor refers to: any safe integer (the block below a deployment at block 0 is -1).
 *
 * @example
 * await store.query('DELETE FROM chain_events WHERE block > $1', [blockBound(fork.block, 'fork block')])
 */
export function blockBound(value: number, field = 'block'): number {
  if (!Number.isSafeInteger(value)) {
    throw new StoreError(`Invalid ${field}.`, { details: `expected an integer, got ${String(value)}` });
  }
  return value;
}

/** The columns of a logged event, in {@link chainEventFromRow}'s terms. */
export const CHAIN_EVENT_COLUMNS = 'block, log_index, block_hash, tx, contract, name, subject, payload';

/**
 * A `chain_events` row as the store returns it (`payload` is jsonb, returned parsed).
 *
 * @example
 * rows.map(chainEventFromRow)
 */
export function chainEventFromRow(row: Row): StoredChainEvent {
  return {
    block: row.block as number,
    logIndex: row.log_index as number,
    blockHash: row.block_hash as string,
    tx: row.tx as string,
    contract: row.contract as string,
    name: row.name as string,
    subject: row.subject as string,
    payload: row.payload,
  };
}
