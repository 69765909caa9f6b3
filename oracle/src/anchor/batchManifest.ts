import { bytesToUtf8 } from '@noble/hashes/utils';
import { z } from 'zod';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { SNAPSHOT_LEAF_TYPES } from '../../../twin-core/src/merkle/snapshotLeaf';
import { buildSnapshotTree, type SnapshotTree } from '../../../twin-core/src/merkle/snapshotTree';
import { parseBlobCid } from '../../../blobs/src';
import type { PendingSnapshot } from './batcher';
import { InvalidManifestError } from './errors';

/** One leaf of a {@link BatchManifest}: the Merkle leaf's values, where the snapshot is, and its times. */
export type BatchManifestLeaf = {
  deviceId: Hex;
  /** The sequence number, decimal text (a uint64). */
  seq: string;
  snapshotHash: Hex;
  /** The full signed snapshot on IPFS. */
  cid: string;
  /** When the device collected the snapshot (ISO 8601); absent in manifests written before it was added. */
  collectedAt?: string;
  /** When the anchoring oracle received it (ISO 8601); absent in manifests written before it was added. */
  receivedAt?: string;
};

/**
 * The batch manifest stored on IPFS, whose CID the `BatchAnchored` event carries: every leaf (with its snapshot's CID
 * and times) in leaf order and how leaves are encoded. Anyone can rebuild the anchored root from `leaves`.
 */
export type BatchManifest = {
  v: 1;
  createdAt: string;
  root: Hex;
  leafEncoding: readonly ['uint256', 'uint64', 'bytes32'];
  leaves: BatchManifestLeaf[];
};

const hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
  .transform((value) => value.toLowerCase() as Hex);
const instant = z.iso.datetime({ offset: true });

/** The schema a manifest read from IPFS must pass; unknown members are ignored (a later writer may add some). */
export const batchManifestSchema = z.object({
  v: z.literal(1),
  createdAt: instant,
  root: hex32,
  leafEncoding: z.tuple([z.literal('uint256'), z.literal('uint64'), z.literal('bytes32')]),
  leaves: z
    .array(
      z.object({
        deviceId: hex32,
        seq: z
          .string()
          .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a decimal integer')
          .refine((value) => Number.isSafeInteger(Number(value)), 'must be at most 2^53 - 1'),
        snapshotHash: hex32,
        cid: z.string().refine((value) => {
          try {
            parseBlobCid(value);
            return true;
          } catch {
            return false;
          }
        }, 'must be a CIDv1 (raw or dag-pb, sha2-256)'),
        collectedAt: instant.optional(),
        receivedAt: instant.optional(),
      }),
    )
    .min(1)
    .max(65_536),
});

/** A snapshot as {@link buildBatchManifest} takes it: the pending leaf and, when known, its collection time (ms). */
export type ManifestSnapshot = PendingSnapshot & { collectedAt?: number | undefined };

/**
 * Builds a batch's Merkle tree and its manifest: every leaf in the given order with its snapshot's CID, collection
 * time (when given) and reception time.
 *
 * @example
 * const { tree, manifest } = buildBatchManifest(snapshots, Date.now())
 * const manifestCid = await store.add(utf8ToBytes(canonicalJson(manifest)))
 */
export function buildBatchManifest(
  snapshots: readonly ManifestSnapshot[],
  createdAt: number,
): { tree: SnapshotTree; manifest: BatchManifest } {
  const tree = buildSnapshotTree([...snapshots]);
  const manifest: BatchManifest = {
    v: 1,
    createdAt: new Date(createdAt).toISOString(),
    root: tree.root,
    leafEncoding: SNAPSHOT_LEAF_TYPES,
    leaves: snapshots.map((snapshot) => ({
      deviceId: formatDeviceId(snapshot.deviceId),
      seq: snapshot.sequence.toString(),
      snapshotHash: snapshot.snapshotHash,
      cid: snapshot.cid,
      ...(snapshot.collectedAt === undefined ? {} : { collectedAt: new Date(snapshot.collectedAt).toISOString() }),
      receivedAt: new Date(snapshot.receivedAt).toISOString(),
    })),
  };
  return { tree, manifest };
}

/** What a manifest must match: the `BatchAnchored` event's root and leaf count. */
export type ManifestExpectation = { root: string; leafCount: number };

/**
 * Parses manifest bytes read from IPFS and checks them against the anchored batch: the schema, the leaf count, and
 * the Merkle root rebuilt from the leaves (and the one the manifest states) equal to the anchored root. Returns the
 * manifest and the rebuilt tree, whose proofs verify against the anchored root.
 *
 * @throws InvalidManifestError when the bytes are not such a manifest or disagree with the chain
 * @example
 * const { manifest, tree } = checkBatchManifest(await store.get(event.manifestCid), event)
 */
export function checkBatchManifest(
  bytes: Uint8Array,
  expected: ManifestExpectation,
): { manifest: BatchManifest; tree: SnapshotTree } {
  let json: unknown;
  try {
    json = JSON.parse(bytesToUtf8(bytes));
  } catch (error) {
    throw new InvalidManifestError('The manifest is not JSON.', { details: String(error), cause: error });
  }
  const parsed = batchManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new InvalidManifestError('The manifest does not match the batch manifest schema.', {
      details: issues.join('; '),
    });
  }
  const manifest: BatchManifest = parsed.data;
  const anchored = expected.root.toLowerCase();
  if (manifest.leaves.length !== expected.leafCount) {
    throw new InvalidManifestError('The manifest has another leaf count than the anchored batch.', {
      details: `${manifest.leaves.length} leaves, the chain anchored ${expected.leafCount}`,
    });
  }
  const tree = buildSnapshotTree(
    manifest.leaves.map((leaf) => ({
      deviceId: BigInt(leaf.deviceId),
      sequence: BigInt(leaf.seq),
      snapshotHash: leaf.snapshotHash,
    })),
  );
  if (tree.root.toLowerCase() !== anchored || manifest.root !== anchored) {
    throw new InvalidManifestError('The manifest does not rebuild the anchored root.', {
      details: `its leaves give ${tree.root} and it states ${manifest.root}; the chain anchored ${anchored}`,
    });
  }
  return { manifest, tree };
}
