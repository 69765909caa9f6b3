import type { Hex } from '../../../twin-core/src/encoding/hex';
import { toIso, type Row, type TimeInput } from '../values';

/** A device snapshot the oracle accepted: its hash and CID, and once batched, its batch and Merkle proof. */
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

/** What insertSnapshot takes. */
export type SnapshotInput = {
  deviceId: string | bigint;
  seq: number;
  collectedAt: TimeInput;
  hash: string;
  cid: string;
  /** Default: now. */
  receivedAt?: TimeInput;
};

/** A snapshot's place in a batch's Merkle tree. */
export type BatchLeaf = { deviceId: string | bigint; seq: number; leafIndex: number; proof: string[] };

/** Columns of a snapshot with its membership, for `FROM snapshots s LEFT JOIN batch_members m`. */
export const SNAPSHOT_COLUMNS =
  's.device_id, s.seq, s.collected_at, s.hash, s.cid, s.received_at, m.batch_id, m.leaf_index, m.proof';

/** `FROM` clause joining each snapshot to its batch membership. */
export const SNAPSHOT_FROM = 'snapshots s LEFT JOIN batch_members m ON m.device_id = s.device_id AND m.seq = s.seq';

/**
 * A snapshot row (see {@link SNAPSHOT_COLUMNS}) as the store returns it.
 *
 * @example
 * rows.map(snapshotFromRow)
 */
export function snapshotFromRow(row: Row): IndexedSnapshot {
  return {
    deviceId: row.device_id as Hex,
    seq: row.seq as number,
    collectedAt: toIso(row.collected_at as Date),
    hash: row.hash as Hex,
    cid: row.cid as string,
    batchId: (row.batch_id as number | null) ?? null,
    leafIndex: (row.leaf_index as number | null) ?? null,
    proof: (row.proof as Hex[] | null) ?? null,
    receivedAt: toIso(row.received_at as Date),
  };
}
