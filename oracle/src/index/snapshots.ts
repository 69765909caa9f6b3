import type { Hex } from '../../../twin-core/src/encoding/hex';
import { IndexError } from './errors';
import type { Index } from './openIndex';
import { advanceSequenceLedger } from './sequenceLedger';
import { deviceIdKey, hashKey, pageSize, toIso, toMillis, type Row, type TimeInput } from './values';

/** A device snapshot the oracle accepted: its hash and CID, and once batched, its Merkle proof. */
export type IndexedSnapshot = {
  deviceId: Hex;
  seq: number;
  /** When the device collected it (ISO 8601). */
  collectedAt: string;
  /** The snapshot hash committed in the Merkle leaf. */
  hash: Hex;
  /** Where the full snapshot is on IPFS. */
  cid: string;
  batchId: number | null;
  leafIndex: number | null;
  proof: Hex[] | null;
  receivedAt: string;
};

/** What {@link insertSnapshot} takes. */
export type SnapshotInput = {
  deviceId: string | bigint;
  seq: number;
  collectedAt: TimeInput;
  hash: string;
  cid: string;
  /** Default: now. */
  receivedAt?: TimeInput;
};

/**
 * Records a snapshot. Idempotent on (device, seq): a redelivered snapshot changes nothing, and the stored one is
 * returned with `inserted: false` (compare its hash to tell a duplicate from a conflicting replay).
 *
 * @example
 * const { inserted } = insertSnapshot(index, { deviceId, seq, collectedAt: body.collectedAt, hash, cid })
 */
export function insertSnapshot(
  index: Index,
  snapshot: SnapshotInput,
): { inserted: boolean; snapshot: IndexedSnapshot } {
  if (!Number.isSafeInteger(snapshot.seq) || snapshot.seq < 0) {
    throw new IndexError('Invalid snapshot sequence number.', { details: String(snapshot.seq) });
  }
  const deviceId = deviceIdKey(snapshot.deviceId);
  const { changes } = index
    .statement(
      `INSERT INTO snapshots (device_id, seq, collected_at, hash, cid, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id, seq) DO NOTHING`,
    )
    .run(
      deviceId,
      snapshot.seq,
      toMillis(snapshot.collectedAt, 'collection time'),
      hashKey(snapshot.hash, 'snapshot hash'),
      snapshot.cid,
      toMillis(snapshot.receivedAt ?? Date.now(), 'reception time'),
    );
  return { inserted: Number(changes) === 1, snapshot: getSnapshot(index, deviceId, snapshot.seq)! };
}

/**
 * Records a snapshot this oracle accepted and advances its device's `snapshot` row of the replay ledger, in one
 * transaction: the ledger never counts a snapshot the index does not hold (a crash before the commit leaves both
 * as they were, and the journal replays the message as new). Idempotent like {@link insertSnapshot}.
 *
 * @example
 * const { snapshot } = acceptSnapshot(index, { deviceId, seq, collectedAt: body.collectedAt, hash, cid, receivedAt })
 */
export function acceptSnapshot(
  index: Index,
  snapshot: SnapshotInput,
): { inserted: boolean; snapshot: IndexedSnapshot } {
  return index.transaction(() => {
    const result = insertSnapshot(index, snapshot);
    advanceSequenceLedger(index, [{ deviceId: result.snapshot.deviceId, kind: 'snapshot', seq: snapshot.seq }]);
    return result;
  });
}

/** A snapshot's place in a batch's Merkle tree. */
export type BatchLeaf = { deviceId: string | bigint; seq: number; leafIndex: number; proof: string[] };

/**
 * Attaches snapshots to batch `batchId` with their leaf index and proof, all or none (one transaction). Fails on a
 * snapshot the index does not have, or one already in another batch (a snapshot joins one batch for good; the
 * oracle's own batches claim theirs with `claimBatchSnapshots`).
 *
 * @example
 * attachBatch(index, batch.id, leaves.map((leaf, leafIndex) => ({ ...leaf, leafIndex, proof: tree.proof(leafIndex) })))
 */
export function attachBatch(index: Index, batchId: number, leaves: readonly BatchLeaf[]): void {
  index.transaction(() => {
    for (const leaf of leaves) {
      const deviceId = deviceIdKey(leaf.deviceId);
      const current = index
        .statement(
          `SELECT s.batch_id, b.status FROM snapshots s LEFT JOIN batches b ON b.id = s.batch_id
           WHERE s.device_id = ? AND s.seq = ?`,
        )
        .get(deviceId, leaf.seq) as { batch_id: number | null; status: string | null } | undefined;
      if (current === undefined) {
        throw new IndexError('Unknown snapshot.', { details: `${deviceId} #${leaf.seq} is not in the index` });
      }
      if (current.batch_id !== null && current.batch_id !== batchId) {
        throw new IndexError(
          current.status === 'confirmed' ? 'The snapshot is already anchored.' : 'The snapshot is in another batch.',
          { details: `${deviceId} #${leaf.seq} is in ${current.status ?? 'unknown'} batch ${current.batch_id}` },
        );
      }
      index
        .statement('UPDATE snapshots SET batch_id = ?, leaf_index = ?, proof = ? WHERE device_id = ? AND seq = ?')
        .run(
          batchId,
          leaf.leafIndex,
          JSON.stringify(leaf.proof.map((node) => hashKey(node, 'proof node'))),
          deviceId,
          leaf.seq,
        );
    }
  });
}

/**
 * One snapshot, or undefined.
 *
 * @example
 * const snapshot = getSnapshot(index, deviceId, 42)
 */
export function getSnapshot(index: Index, deviceId: string | bigint, seq: number): IndexedSnapshot | undefined {
  const row = index
    .statement('SELECT * FROM snapshots WHERE device_id = ? AND seq = ?')
    .get(deviceIdKey(deviceId), seq) as Row | undefined;
  return row === undefined ? undefined : snapshotFromRow(row);
}

/**
 * The device's snapshot with the highest sequence number, or undefined.
 *
 * @example
 * latestSnapshot(index, deviceId)?.collectedAt
 */
export function latestSnapshot(index: Index, deviceId: string | bigint): IndexedSnapshot | undefined {
  const row = index.statement('SELECT * FROM latest_snapshots WHERE device_id = ?').get(deviceIdKey(deviceId)) as
    | Row
    | undefined;
  return row === undefined ? undefined : snapshotFromRow(row);
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
 * const page = listSnapshots(index, deviceId, { fromTime: '2026-01-01T00:00:00Z', limit: 50 })
 */
export function listSnapshots(
  index: Index,
  deviceId: string | bigint,
  query: ListSnapshotsQuery = {},
): IndexedSnapshot[] {
  const rows = index
    .statement(
      `SELECT * FROM snapshots WHERE device_id = ? AND seq >= ? AND collected_at BETWEEN ? AND ?
       ORDER BY seq LIMIT ?`,
    )
    .all(
      deviceIdKey(deviceId),
      query.fromSeq ?? 0,
      query.fromTime === undefined ? Number.MIN_SAFE_INTEGER : toMillis(query.fromTime, 'fromTime'),
      query.toTime === undefined ? Number.MAX_SAFE_INTEGER : toMillis(query.toTime, 'toTime'),
      pageSize(query.limit, 100, 1_000),
    ) as Row[];
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
 * const { items, total } = pageSnapshots(index, deviceId, { fromTime: '2026-01-01T00:00:00Z', page: 2 })
 */
export function pageSnapshots(
  index: Index,
  deviceId: string | bigint,
  query: PageSnapshotsQuery = {},
): { items: IndexedSnapshot[]; total: number; page: number; pageSize: number } {
  const bounds = [
    deviceIdKey(deviceId),
    query.fromTime === undefined ? Number.MIN_SAFE_INTEGER : toMillis(query.fromTime, 'fromTime'),
    query.toTime === undefined ? Number.MAX_SAFE_INTEGER : toMillis(query.toTime, 'toTime'),
  ];
  const size = pageSize(query.pageSize, 20, 500);
  const page = query.page ?? 1;
  const where = 'WHERE device_id = ? AND collected_at BETWEEN ? AND ?';
  const { total } = index.statement(`SELECT count(*) AS total FROM snapshots ${where}`).get(...bounds) as {
    total: number;
  };
  const rows = index
    .statement(`SELECT * FROM snapshots ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
    .all(...bounds, size, (page - 1) * size) as Row[];
  return { items: rows.map(snapshotFromRow), total: Number(total), page, pageSize: size };
}

/**
 * Snapshots in no batch yet, oldest received first (what the anchoring resumes with after a restart).
 *
 * @example
 * const pending = listUnbatchedSnapshots(index, { limit: 1024 })
 */
export function listUnbatchedSnapshots(index: Index, query: { limit?: number } = {}): IndexedSnapshot[] {
  const rows = index
    .statement('SELECT * FROM snapshots WHERE batch_id IS NULL ORDER BY received_at, device_id, seq LIMIT ?')
    .all(pageSize(query.limit, 1_024, 100_000)) as Row[];
  return rows.map(snapshotFromRow);
}

/**
 * The snapshots of batch `batchId`, in leaf order.
 *
 * @example
 * const leaves = listBatchSnapshots(index, batch.id)
 */
export function listBatchSnapshots(index: Index, batchId: number): IndexedSnapshot[] {
  const rows = index.statement('SELECT * FROM snapshots WHERE batch_id = ? ORDER BY leaf_index').all(batchId) as Row[];
  return rows.map(snapshotFromRow);
}

function snapshotFromRow(row: Row): IndexedSnapshot {
  return {
    deviceId: row.device_id as Hex,
    seq: row.seq as number,
    collectedAt: toIso(row.collected_at as number),
    hash: row.hash as Hex,
    cid: row.cid as string,
    batchId: row.batch_id as number | null,
    leafIndex: row.leaf_index as number | null,
    proof: row.proof === null ? null : (JSON.parse(row.proof as string) as Hex[]),
    receivedAt: toIso(row.received_at as number),
  };
}
