import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, toDate, type Row, type TimeInput } from '../values';
import { SNAPSHOT_COLUMNS, SNAPSHOT_FROM, snapshotFromRow, type IndexedSnapshot } from './types';

const GET = {
  name: 'store.snapshots.get',
  text: `SELECT ${SNAPSHOT_COLUMNS} FROM ${SNAPSHOT_FROM} WHERE s.device_id = $1 AND s.seq = $2`,
};
const LATEST = {
  name: 'store.snapshots.latest',
  text: `SELECT ${SNAPSHOT_COLUMNS} FROM ${SNAPSHOT_FROM} WHERE s.device_id = $1 ORDER BY s.seq DESC LIMIT 1`,
};

/**
 * One snapshot, or undefined.
 *
 * @example
 * const snapshot = await getSnapshot(store, deviceId, 42)
 */
export async function getSnapshot(
  db: Db,
  deviceId: string | bigint,
  seq: number,
): Promise<IndexedSnapshot | undefined> {
  const { rows } = await db.query<Row>(GET, [deviceIdKey(deviceId), seq]);
  return rows[0] === undefined ? undefined : snapshotFromRow(rows[0]);
}

/**
 * The device's snapshot with the highest sequence number, or undefined.
 *
 * @example
 * (await latestSnapshot(store, deviceId))?.collectedAt
 */
export async function latestSnapshot(db: Db, deviceId: string | bigint): Promise<IndexedSnapshot | undefined> {
  const { rows } = await db.query<Row>(LATEST, [deviceIdKey(deviceId)]);
  return rows[0] === undefined ? undefined : snapshotFromRow(rows[0]);
}

/** Filters of {@link listSnapshots}; times bound `collectedAt`, both ends included. */
export type ListSnapshotsQuery = {
  fromSeq?: number;
  fromTime?: TimeInput;
  toTime?: TimeInput;
  /** Default 100, at most 1,000. */
  limit?: number;
};

/**
 * A device's snapshots in sequence order from `fromSeq`; page on with `fromSeq` = last seq + 1.
 *
 * @example
 * const page = await listSnapshots(store, deviceId, { fromTime: '2026-01-01T00:00:00Z', limit: 50 })
 */
export async function listSnapshots(
  db: Db,
  deviceId: string | bigint,
  query: ListSnapshotsQuery = {},
): Promise<IndexedSnapshot[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.snapshots.list',
      text: `SELECT ${SNAPSHOT_COLUMNS} FROM ${SNAPSHOT_FROM}
             WHERE s.device_id = $1 AND s.seq >= $2
               AND ($3::timestamptz IS NULL OR s.collected_at >= $3) AND ($4::timestamptz IS NULL OR s.collected_at <= $4)
             ORDER BY s.seq LIMIT $5`,
    },
    [
      deviceIdKey(deviceId),
      query.fromSeq ?? 0,
      query.fromTime === undefined ? null : toDate(query.fromTime, 'fromTime'),
      query.toTime === undefined ? null : toDate(query.toTime, 'toTime'),
      pageSize(query.limit, 100, 1_000),
    ],
  );
  return rows.map(snapshotFromRow);
}

/**
 * Snapshots in no batch yet, oldest received first (what the anchoring resumes with after a restart; claiming is
 * claimUnbatchedSnapshots).
 *
 * @example
 * const pending = await listUnbatchedSnapshots(store, { limit: 1024 })
 */
export async function listUnbatchedSnapshots(db: Db, query: { limit?: number } = {}): Promise<IndexedSnapshot[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.snapshots.unbatched',
      text: `SELECT ${SNAPSHOT_COLUMNS} FROM snapshot_queue q
             JOIN ${SNAPSHOT_FROM} ON s.device_id = q.device_id AND s.seq = q.seq
             ORDER BY q.received_at, q.device_id, q.seq LIMIT $1`,
    },
    [pageSize(query.limit, 1_024, 100_000)],
  );
  return rows.map(snapshotFromRow);
}

/**
 * The snapshots of batch `batchId`, in leaf order (claim order until leaves are attached).
 *
 * @example
 * const leaves = await listBatchSnapshots(store, batch.id)
 */
export async function listBatchSnapshots(db: Db, batchId: number): Promise<IndexedSnapshot[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.snapshots.ofBatch',
      text: `SELECT ${SNAPSHOT_COLUMNS} FROM batch_members m JOIN snapshots s ON s.device_id = m.device_id AND s.seq = m.seq
             WHERE m.batch_id = $1 ORDER BY m.leaf_index NULLS LAST, s.received_at, s.device_id, s.seq`,
    },
    [batchId],
  );
  return rows.map(snapshotFromRow);
}

/** Filters and page of {@link pageSnapshots}; times bound `collectedAt`, both ends included. */
export type PageSnapshotsQuery = {
  fromTime?: TimeInput;
  toTime?: TimeInput;
  /** From 1 (default 1). */
  page?: number;
  /** Default 20, at most 500. */
  pageSize?: number;
};

/**
 * A page of a device's snapshots, newest first, and how many match in all (what the API lists).
 *
 * @example
 * const { items, total } = await pageSnapshots(store, deviceId, { fromTime: '2026-01-01T00:00:00Z', page: 2 })
 */
export async function pageSnapshots(
  db: Db,
  deviceId: string | bigint,
  query: PageSnapshotsQuery = {},
): Promise<{ items: IndexedSnapshot[]; total: number; page: number; pageSize: number }> {
  const size = pageSize(query.pageSize, 20, 500);
  const page = query.page ?? 1;
  if (!Number.isSafeInteger(page) || page < 1) {
    throw new StoreError('Invalid page.', { details: `expected an integer ≥ 1, got ${page}` });
  }
  const { rows } = await db.query<Row>(
    {
      name: 'store.snapshots.page',
      text: `SELECT ${SNAPSHOT_COLUMNS}, count(*) OVER () AS total FROM ${SNAPSHOT_FROM}
             WHERE s.device_id = $1
               AND ($2::timestamptz IS NULL OR s.collected_at >= $2) AND ($3::timestamptz IS NULL OR s.collected_at <= $3)
             ORDER BY s.seq DESC LIMIT $4 OFFSET $5`,
    },
    [
      deviceIdKey(deviceId),
      query.fromTime === undefined ? null : toDate(query.fromTime, 'fromTime'),
      query.toTime === undefined ? null : toDate(query.toTime, 'toTime'),
      size,
      (page - 1) * size,
    ],
  );
  // A page past the end has no rows to carry the total: count apart then.
  let total = rows[0] === undefined ? 0 : Number(rows[0].total);
  if (rows[0] === undefined && page > 1) {
    const counted = await db.query<{ total: number }>(
      {
        name: 'store.snapshots.count',
        text: `SELECT count(*) AS total FROM snapshots s WHERE s.device_id = $1
               AND ($2::timestamptz IS NULL OR s.collected_at >= $2) AND ($3::timestamptz IS NULL OR s.collected_at <= $3)`,
      },
      [
        deviceIdKey(deviceId),
        query.fromTime === undefined ? null : toDate(query.fromTime, 'fromTime'),
        query.toTime === undefined ? null : toDate(query.toTime, 'toTime'),
      ],
    );
    total = Number(counted.rows[0]!.total);
  }
  return { items: rows.map(snapshotFromRow), total, page, pageSize: size };
}
