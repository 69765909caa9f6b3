import type { Db } from '../pool/withTransaction';

const TOTALS = {
  name: 'store.chainEvents.totals',
  text: `SELECT count(*) AS events, coalesce(max(block), 0) AS last_block FROM chain_events
         WHERE $1::text[] IS NULL OR contract = ANY($1::text[])`,
};

/** What {@link chainEventTotals} returns: how many events the log holds and the newest one's block (0: none). */
export type ChainEventTotals = { events: number; lastBlock: number };

/**
 * How many applied events the chain event log holds, of `contracts` (default every contract), and the newest one's
 * block, in one statement: a version that moves whenever the mirror records such an event or a rewind deletes one
 * (what the broker's directory compares to know when to check its clients' twins again).
 *
 * @example
 * const { events, lastBlock } = await chainEventTotals(store, { contracts: ['TwinRegistry', 'EntityRegistry'] })
 */
export async function chainEventTotals(
  db: Db,
  options: { contracts?: readonly string[] } = {},
): Promise<ChainEventTotals> {
  const { rows } = await db.query<{ events: string; last_block: string | number }>(TOTALS, [
    options.contracts === undefined ? null : [...options.contracts],
  ]);
  return { events: Number(rows[0]!.events), lastBlock: Number(rows[0]!.last_block) };
}
