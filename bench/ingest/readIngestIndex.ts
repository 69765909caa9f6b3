import type { Store } from '../../store/src';

/** A moment something completed end to end, and how many messages it completed. */
export type Completion = { at: number; count: number };

/** What the store says a run completed, read beside the oracle (its own connections, committed rows only). */
export type IngestIndexReading = {
  /** Telemetry batches stored on IPFS and recorded, by the time they were recorded. */
  telemetry: Completion[];
  /** Confirmed snapshot batches by confirmation time (the oracle's clock once its anchoring was final). */
  batches: Completion[];
  /** Confirmation time of each snapshot in a confirmed batch, by `deviceId:seq`. */
  anchoredAt: Map<string, number>;
  /** Snapshots in the store, anchored or not. */
  snapshots: number;
};

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * Reads the completions of a run from the oracle's store (the PostgreSQL database it writes): telemetry batches by
 * the time they were recorded, confirmed batches by confirmation time and, with `snapshots`, each anchored snapshot's
 * confirmation time (through its unique batch membership).
 *
 * @example
 * const store = await database.open()
 * const reading = await readIngestIndex(store, { snapshots: true })
 */
export async function readIngestIndex(store: Store, what: { snapshots: boolean }): Promise<IngestIndexReading> {
  const telemetry = (
    await store.query<{ at: number; count: number }>(
      `SELECT ${ms('created_at')} AS at, message_count AS count FROM telemetry_batches ORDER BY created_at`,
    )
  ).rows.map((row) => ({ at: Number(row.at), count: Number(row.count) }));
  const batches = (
    await store.query<{ at: number; count: number }>(
      `SELECT ${ms('confirmed_at')} AS at, leaf_count AS count FROM batches
       WHERE status = 'confirmed' AND confirmed_at IS NOT NULL ORDER BY confirmed_at`,
    )
  ).rows.map((row) => ({ at: Number(row.at), count: Number(row.count) }));
  const anchoredAt = new Map<string, number>();
  if (what.snapshots) {
    const { rows } = await store.query<{ device_id: string; seq: number; at: number }>(
      `SELECT m.device_id, m.seq, ${ms('b.confirmed_at')} AS at FROM batch_members m
       JOIN batches b ON b.id = m.batch_id WHERE b.status = 'confirmed' AND b.confirmed_at IS NOT NULL`,
    );
    for (const row of rows) anchoredAt.set(`${row.device_id}:${Number(row.seq)}`, Number(row.at));
  }
  const { rows } = await store.query<{ n: number }>('SELECT count(*)::float8 AS n FROM snapshots');
  return { telemetry, batches, anchoredAt, snapshots: Number(rows[0]!.n) };
}

/**
 * Counts what completed so far, cheaply (for polling): telemetry messages recorded, snapshots anchored.
 *
 * @example
 * const { telemetry, anchored } = await countCompleted(store)
 */
export async function countCompleted(store: Store): Promise<{ telemetry: number; anchored: number }> {
  const { rows } = await store.query<{ telemetry: number; anchored: number }>({
    name: 'bench.countCompleted',
    text: `SELECT (SELECT coalesce(sum(message_count), 0) FROM telemetry_batches)::float8 AS telemetry,
                  (SELECT coalesce(sum(leaf_count), 0) FROM batches WHERE status = 'confirmed')::float8 AS anchored`,
  });
  return { telemetry: Number(rows[0]!.telemetry), anchored: Number(rows[0]!.anchored) };
}
