import type { Db } from '../pool/withTransaction';
import { hashKey, sequenceNumber, pgText, pgJson } from '../values';
import type { StoredChainEvent } from './types';

const INSERT = {
  name: 'store.chainEvents.record',
  text: `INSERT INTO chain_events (block, log_index, block_hash, tx, contract, name, subject, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
};
const INSERT_MANY = {
  name: 'store.chainEvents.recordMany',
  text: `INSERT INTO chain_events (block, log_index, block_hash, tx, contract, name, subject, payload)
         SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::jsonb[])
         ON CONFLICT DO NOTHING
         RETURNING block, log_index`,
};

function columns(event: StoredChainEvent) {
  return [
    sequenceNumber(event.block, 'block'),
    sequenceNumber(event.logIndex, 'log index'),
    hashKey(event.blockHash, 'block hash'),
    hashKey(event.tx, 'transaction hash'),
    pgText(event.contract),
    pgText(event.name),
    pgText(event.subject),
    pgJson(event.payload),
  ] as const;
}

/**
 * Records an applied event; the same (block, log index) again changes nothing (`ON CONFLICT DO NOTHING`). True
 * when a row was added. Two instances recording one event at once: the second waits for the first's transaction
 * and gets false if it commits, so an event is applied by one of them only.
 *
 * @example
 * if (await recordChainEvent(tx, { block, logIndex, blockHash, tx: txHash, contract: 'TwinRegistry', name, subject,
 *   payload })) apply(event)
 */
export async function recordChainEvent(db: Db, event: StoredChainEvent): Promise<boolean> {
  const { rowCount } = await db.query(INSERT, [...columns(event)]);
  return rowCount === 1;
}

/**
 * Records many applied events in one statement, as {@link recordChainEvent} does one; returns, in the order given,
 * whether each was added (an event twice in `events` is added once: the first).
 *
 * @example
 * const added = await recordChainEvents(tx, stored)
 * events.filter((_, n) => added[n]).forEach(apply)
 */
export async function recordChainEvents(db: Db, events: readonly StoredChainEvent[]): Promise<boolean[]> {
  if (events.length === 0) return [];
  const arrays: unknown[][] = [[], [], [], [], [], [], [], []];
  for (const event of events) columns(event).forEach((value, n) => arrays[n]!.push(value));
  const { rows } = await db.query<{ block: number; log_index: number }>(INSERT_MANY, arrays);
  const added = new Set(rows.map((row) => `${row.block}:${row.log_index}`));
  return events.map((event) => added.delete(`${event.block}:${event.logIndex}`));
}
