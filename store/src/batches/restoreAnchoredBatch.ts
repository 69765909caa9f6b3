import { StoreError } from '../errors';
import { recordEvent } from '../events/recordEvent';
import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, sequenceNumber, toDate, type Row, type TimeInput } from '../values';
import { SNAPSHOT_LEDGER_KIND } from '../snapshots/insertSnapshot';
import { batchFromRow, type IndexedBatch } from './types';

/** One leaf of a batch being restored: the snapshot as the index keeps it, and its place in the batch's tree. */
export type RestoredLeaf = {
  deviceId: string | bigint;
  seq: number;
  collectedAt: TimeInput;
  receivedAt: TimeInput;
  hash: string;
  cid: string;
  leafIndex: number;
  proof: readonly string[];
};

/** What {@link restoreAnchoredBatch} takes: a batch as the chain anchored it, and the leaves to restore. */
export type RestoreAnchoredBatchInput = {
  root: string;
  manifestCid: string;
  /** The leaf count the chain anchored (the batch's, whatever number of leaves is restored now). */
  leafCount: number;
  txHash: string;
  block: number;
  chainBatchId: number;
  createdAt: TimeInput;
  confirmedAt?: TimeInput;
  /** The leaves to restore now (any subset of the batch's: a leaf held already is left as it is). */
  leaves: readonly RestoredLeaf[];
};

/** A leaf {@link restoreAnchoredBatch} did not restore, with why. */
export type RestoreConflict = { deviceId: string; seq: number; reason: string };

/** What {@link restoreAnchoredBatch} did. */
export type RestoreAnchoredBatchResult = {
  batch: IndexedBatch;
  /** False when the store held a batch with this root already (its row is kept, confirmed if it was not). */
  created: boolean;
  /** Snapshots inserted (the others were held already, with the same hash). */
  insertedSnapshots: number;
  /** Leaves attached to the batch now. */
  attached: number;
  /** Leaves refused: held with another hash, or in another batch. */
  conflicts: RestoreConflict[];
};

const CREATE = {
  name: 'store.batches.restore',
  text: `INSERT INTO batches (root, manifest_cid, leaf_count, status, tx_hash, block, chain_batch_id, created_at,
           confirmed_at)
         VALUES ($1, $2, $3, 'confirmed', $4, $5, $6, $7, $8) ON CONFLICT (root) DO NOTHING RETURNING *`,
};
const EXISTING = {
  name: 'store.batches.restoreExisting',
  text: `UPDATE batches SET status = 'confirmed', tx_hash = $2, block = $3, chain_batch_id = $4,
           confirmed_at = coalesce(confirmed_at, $5), manifest_cid = coalesce(manifest_cid, $6), failure = NULL
         WHERE root = $1 RETURNING *`,
};
const SNAPSHOTS = {
  name: 'store.batches.restoreSnapshots',
  text: `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::timestamptz[])
             AS t(device_id, seq, collected_at, hash, cid, received_at)
         ),
         inserted AS (
           INSERT INTO snapshots (device_id, seq, collected_at, hash, cid, received_at)
           SELECT device_id, seq, collected_at, hash, cid, received_at FROM input ORDER BY device_id, seq
           ON CONFLICT (device_id, seq) DO NOTHING RETURNING device_id, seq
         )
         SELECT i.device_id, i.seq, (n.seq IS NOT NULL) AS inserted, s.hash AS held_hash, m.batch_id AS held_batch
         FROM input i
         LEFT JOIN inserted n ON n.device_id = i.device_id AND n.seq = i.seq
         LEFT JOIN snapshots s ON s.device_id = i.device_id AND s.seq = i.seq AND n.seq IS NULL
         LEFT JOIN batch_members m ON m.device_id = i.device_id AND m.seq = i.seq`,
};
const MEMBERS = {
  name: 'store.batches.restoreMembers',
  text: `INSERT INTO batch_members (device_id, seq, batch_id, leaf_index, proof)
         SELECT device_id, seq, $1, leaf_index, proof
         FROM unnest($2::text[], $3::bigint[], $4::int[], $5::jsonb[]) AS t(device_id, seq, leaf_index, proof)
         ON CONFLICT (device_id, seq) DO NOTHING`,
};
const DEQUEUE = {
  name: 'store.batches.restoreDequeue',
  text: `DELETE FROM snapshot_queue q USING unnest($1::text[], $2::bigint[]) AS t(device_id, seq)
         WHERE q.device_id = t.device_id AND q.seq = t.seq`,
};
/* The ledger and the heads raised to each device's highest restored number, never lowered; in DeviceID order. */
const HEADS = {
  name: 'store.batches.restoreHeads',
  text: `INSERT INTO sequence_heads (device_id, highest)
         SELECT device_id, max(seq) FROM unnest($1::text[], $2::bigint[]) AS t(device_id, seq)
         GROUP BY device_id ORDER BY device_id
         ON CONFLICT (device_id) DO UPDATE SET highest = greatest(sequence_heads.highest, excluded.highest)`,
};
const LEDGER = {
  name: 'store.batches.restoreLedger',
  text: `INSERT INTO sequence_ledger (device_id, kind, seq)
         SELECT device_id, $3, max(seq) FROM unnest($1::text[], $2::bigint[]) AS t(device_id, seq)
         GROUP BY device_id ORDER BY device_id
         ON CONFLICT (device_id, kind) DO UPDATE SET seq = greatest(sequence_ledger.seq, excluded.seq)`,
};

/**
 * Restores a batch the chain anchored (the `rebuild` command's write), in one transaction (the caller's when `db` is
 * one): the batch as confirmed with its transaction, block and contract batch ID (a batch the store holds with this
 * root already is kept and confirmed), the snapshots (one held already must have the leaf's hash), each one's
 * membership with its leaf index and proof, and the replay ledger of kind `snapshot` and the device's sequence head
 * raised to its highest restored number, so that a replay of a restored message is refused. No sequence gap is
 * opened: the numbers between are telemetry and other kinds the chain does not hold, not losses. A leaf held with
 * another hash or in another batch is not restored and is returned in `conflicts`; the rest is. Records the batch's
 * `anchored` outbox event when it creates the batch.
 *
 * @example
 * const { created, attached, conflicts } = await restoreAnchoredBatch(store, { root, manifestCid, leafCount, txHash,
 *   block, chainBatchId, createdAt, leaves })
 */
export async function restoreAnchoredBatch(
  db: Db,
  input: RestoreAnchoredBatchInput,
): Promise<RestoreAnchoredBatchResult> {
  const root = hashKey(input.root, 'root');
  const txHash = hashKey(input.txHash, 'transaction hash');
  const confirmedAt = toDate(input.confirmedAt ?? Date.now(), 'confirmation time');
  const block = sequenceNumber(input.block, 'block');
  const chainBatchId = sequenceNumber(input.chainBatchId, 'contract batch ID');
  const leafCount = sequenceNumber(input.leafCount, 'leaf count');
  const leaves = input.leaves.map((leaf) => ({
    deviceId: deviceIdKey(leaf.deviceId),
    seq: sequenceNumber(leaf.seq, 'snapshot sequence number'),
    collectedAt: toDate(leaf.collectedAt, 'collection time'),
    receivedAt: toDate(leaf.receivedAt, 'reception time'),
    hash: hashKey(leaf.hash, 'snapshot hash'),
    cid: leaf.cid,
    leafIndex: sequenceNumber(leaf.leafIndex, 'leaf index'),
    proof: JSON.stringify(leaf.proof.map((node) => hashKey(node, 'proof node'))),
  }));
  if (leaves.some((leaf) => leaf.leafIndex >= leafCount)) {
    throw new StoreError('Invalid leaf index.', { details: `batch ${root} has ${leafCount} leaves` });
  }
  return inTransaction(db, async (tx) => {
    const made = await tx.query<Row>(CREATE, [
      root,
      input.manifestCid,
      leafCount,
      txHash,
      block,
      chainBatchId,
      toDate(input.createdAt, 'creation time'),
      confirmedAt,
    ]);
    const created = made.rows[0] !== undefined;
    const row =
      made.rows[0] ??
      (await tx.query<Row>(EXISTING, [root, txHash, block, chainBatchId, confirmedAt, input.manifestCid])).rows[0];
    if (row === undefined) throw new StoreError('The batch cannot be restored.', { details: `root ${root}` });
    const batch = batchFromRow(row);
    if (created) await recordEvent(tx, { kind: 'anchored', payload: { batchId: batch.id } });
    const result: RestoreAnchoredBatchResult = { batch, created, insertedSnapshots: 0, attached: 0, conflicts: [] };
    if (leaves.length === 0) return result;
    const { rows } = await tx.query<{
      device_id: string;
      seq: number;
      inserted: boolean;
      held_hash: string | null;
      held_batch: number | null;
    }>(SNAPSHOTS, [
      leaves.map((leaf) => leaf.deviceId),
      leaves.map((leaf) => leaf.seq),
      leaves.map((leaf) => leaf.collectedAt),
      leaves.map((leaf) => leaf.hash),
      leaves.map((leaf) => leaf.cid),
      leaves.map((leaf) => leaf.receivedAt),
    ]);
    const byKey = new Map(rows.map((found) => [`${found.device_id}#${found.seq}`, found]));
    const attach: typeof leaves = [];
    const seen = new Set<string>();
    for (const leaf of leaves) {
      const key = `${leaf.deviceId}#${leaf.seq}`;
      if (seen.has(key)) {
        result.conflicts.push({
          deviceId: leaf.deviceId,
          seq: leaf.seq,
          reason: 'the batch holds this snapshot twice',
        });
        continue;
      }
      seen.add(key);
      const found = byKey.get(key)!;
      if (found.inserted) result.insertedSnapshots++;
      else if (found.held_hash !== leaf.hash) {
        result.conflicts.push({
          deviceId: leaf.deviceId,
          seq: leaf.seq,
          reason: `the index holds this snapshot with hash ${found.held_hash}, the leaf has ${leaf.hash}`,
        });
        continue;
      }
      if (found.held_batch !== null && Number(found.held_batch) !== batch.id) {
        result.conflicts.push({
          deviceId: leaf.deviceId,
          seq: leaf.seq,
          reason: `the index holds this snapshot in batch ${found.held_batch}`,
        });
        continue;
      }
      if (found.held_batch === null) attach.push(leaf);
    }
    if (attach.length > 0) {
      const columns = [attach.map((leaf) => leaf.deviceId), attach.map((leaf) => leaf.seq)];
      const members = await tx.query(MEMBERS, [
        batch.id,
        ...columns,
        attach.map((leaf) => leaf.leafIndex),
        attach.map((leaf) => leaf.proof),
      ]);
      if (members.rowCount !== attach.length) {
        throw new StoreError('The batch cannot be restored.', {
          details: `${attach.length - (members.rowCount ?? 0)} of its snapshots were batched meanwhile`,
        });
      }
      result.attached = attach.length;
      await tx.query(DEQUEUE, columns);
      await tx.query(HEADS, columns);
      await tx.query(LEDGER, [...columns, SNAPSHOT_LEDGER_KIND]);
    }
    return result;
  });
}
