import type { Db } from './pool/withTransaction';

const HOLDINGS = {
  name: 'store.holdings',
  text: `SELECT (SELECT count(*) FROM twins) AS twins, (SELECT count(*) FROM entities) AS entities,
                (SELECT count(*) FROM snapshots) AS snapshots, (SELECT count(*) FROM batches) AS batches,
                (SELECT count(*) FROM chain_events) AS chain_events, (SELECT count(*) FROM chain_cursor) AS cursors,
                (SELECT count(*) FROM latest_telemetry) AS telemetry_devices,
                (SELECT count(*) FROM sequence_ledger) AS ledger_rows`,
};

/** What an index holds, counted: what tells an empty database from one holding an index. */
export type IndexHoldings = {
  twins: number;
  entities: number;
  snapshots: number;
  batches: number;
  chainEvents: number;
  cursors: number;
  telemetryDevices: number;
  ledgerRows: number;
};

/**
 * Counts what the index holds, in one statement (each count a full scan: for a start-up check, not a hot path).
 *
 * @example
 * const holdings = await indexHoldings(store)
 * if (Object.values(holdings).some((count) => count > 0)) throw new Error('the database holds an index')
 */
export async function indexHoldings(db: Db): Promise<IndexHoldings> {
  const { rows } = await db.query<Record<string, string>>(HOLDINGS);
  const row = rows[0]!;
  return {
    twins: Number(row.twins),
    entities: Number(row.entities),
    snapshots: Number(row.snapshots),
    batches: Number(row.batches),
    chainEvents: Number(row.chain_events),
    cursors: Number(row.cursors),
    telemetryDevices: Number(row.telemetry_devices),
    ledgerRows: Number(row.ledger_rows),
  };
}
