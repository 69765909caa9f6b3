import { DatabaseSync } from 'node:sqlite';

/** A moment something completed end to end, and how many messages it completed. */
export type Completion = { at: number; count: number };

/** What the oracle's index says a run completed, read without disturbing the oracle (read-only, WAL). */
export type IngestIndexReading = {
  /** Telemetry batches stored on IPFS and recorded, by the time they were recorded. */
  telemetry: Completion[];
  /** Confirmed snapshot batches by confirmation time (the oracle's clock once its anchoring was final). */
  batches: Completion[];
  /** Confirmation time of each snapshot in a confirmed batch, by `deviceId:seq`. */
  anchoredAt: Map<string, number>;
  /** Snapshots in the index, anchored or not. */
  snapshots: number;
};

/**
 * Reads the completions of a run from the oracle's SQLite index (`index.sqlite` in its data directory), opened
 * read-only while the oracle writes it.
 *
 * @example
 * const reading = readIngestIndex('/tmp/bench/oracle-aedes-1000/index.sqlite', { snapshots: true })
 */
export function readIngestIndex(file: string, what: { snapshots: boolean }): IngestIndexReading {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const telemetry = (
      db
        .prepare('SELECT created_at AS at, message_count AS count FROM telemetry_batches ORDER BY created_at')
        .all() as {
        at: number;
        count: number;
      }[]
    ).map((row) => ({ at: Number(row.at), count: Number(row.count) }));
    const batches = (
      db
        .prepare(
          `SELECT confirmed_at AS at, leaf_count AS count FROM batches
           WHERE status = 'confirmed' AND confirmed_at IS NOT NULL ORDER BY confirmed_at`,
        )
        .all() as { at: number; count: number }[]
    ).map((row) => ({ at: Number(row.at), count: Number(row.count) }));
    const anchoredAt = new Map<string, number>();
    if (what.snapshots) {
      const rows = db
        .prepare(
          `SELECT s.device_id AS deviceId, s.seq AS seq, b.confirmed_at AS at FROM snapshots s
           JOIN batches b ON b.id = s.batch_id WHERE b.status = 'confirmed' AND b.confirmed_at IS NOT NULL`,
        )
        .all() as { deviceId: string; seq: number; at: number }[];
      for (const row of rows) anchoredAt.set(`${row.deviceId}:${Number(row.seq)}`, Number(row.at));
    }
    const snapshots = Number((db.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n);
    return { telemetry, batches, anchoredAt, snapshots };
  } finally {
    db.close();
  }
}

/**
 * Counts what completed so far, cheaply (for polling): telemetry messages recorded, snapshots anchored.
 *
 * @example
 * const { telemetry, anchored } = countCompleted(indexFile)
 */
export function countCompleted(file: string): { telemetry: number; anchored: number } {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const telemetry = db.prepare('SELECT coalesce(sum(message_count), 0) AS n FROM telemetry_batches').get() as {
      n: number;
    };
    const anchored = db
      .prepare(`SELECT coalesce(sum(leaf_count), 0) AS n FROM batches WHERE status = 'confirmed'`)
      .get() as { n: number };
    return { telemetry: Number(telemetry.n), anchored: Number(anchored.n) };
  } finally {
    db.close();
  }
}
