import type { Index } from './openIndex';
import { hashKey, type Row } from './values';

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
 * Records an applied event; the same (block, log index) again changes nothing. True when a row was added.
 *
 * @example
 * recordChainEvent(index, { block, logIndex, blockHash, tx, contract: 'TwinRegistry', name, subject, payload })
 */
export function recordChainEvent(index: Index, event: StoredChainEvent): boolean {
  const { changes } = index
    .statement(
      `INSERT INTO chain_events (block, log_index, block_hash, tx, contract, name, subject, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(
      event.block,
      event.logIndex,
      hashKey(event.blockHash, 'block hash'),
      hashKey(event.tx, 'transaction hash'),
      event.contract,
      event.name,
      event.subject,
      JSON.stringify(event.payload),
    );
  return Number(changes) === 1;
}

/**
 * Applied events in blocks above `block`, in chain order.
 *
 * @example
 * const undone = chainEventsAfter(index, forkBlock)
 */
export function chainEventsAfter(index: Index, block: number): StoredChainEvent[] {
  return (
    index.statement('SELECT * FROM chain_events WHERE block > ? ORDER BY block, log_index').all(block) as Row[]
  ).map(eventFromRow);
}

/**
 * Applied events about `subject` (any case), in chain order.
 *
 * @example
 * const history = chainEventsOf(index, deviceId)
 */
export function chainEventsOf(index: Index, subject: string): StoredChainEvent[] {
  return (
    index.statement('SELECT * FROM chain_events WHERE subject = ? ORDER BY block, log_index').all(subject) as Row[]
  ).map(eventFromRow);
}

/**
 * Deletes the applied events in blocks above `block`; returns how many.
 *
 * @example
 * deleteChainEventsAfter(index, forkBlock)
 */
export function deleteChainEventsAfter(index: Index, block: number): number {
  return Number(index.statement('DELETE FROM chain_events WHERE block > ?').run(block).changes);
}

/**
 * Every block holding an applied event, with the hash it had when applied, ascending.
 *
 * @example
 * const blocks = chainEventBlocks(index) // [{ block: 12, hash: '0x…' }, …]
 */
export function chainEventBlocks(index: Index): { block: number; hash: string }[] {
  return (
    index.statement('SELECT DISTINCT block, block_hash FROM chain_events ORDER BY block').all() as {
      block: number;
      block_hash: string;
    }[]
  ).map((row) => ({ block: row.block, hash: row.block_hash }));
}

function eventFromRow(row: Row): StoredChainEvent {
  return {
    block: row.block as number,
    logIndex: row.log_index as number,
    blockHash: row.block_hash as string,
    tx: row.tx as string,
    contract: row.contract as string,
    name: row.name as string,
    subject: row.subject as string,
    payload: JSON.parse(row.payload as string) as unknown,
  };
}
