import { MAX_BLOB_BYTES, messageOf, type BlobStore } from '../../../blobs/src';
import type { RestoredLeaf } from '../../../store/src';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import type { BatchManifestLeaf } from '../anchor/batchManifest';
import { checkMessage } from '../ingest/checkMessage';
import type { DeviceSigners } from './deviceSigners';
import { fetchWithin } from './fetchWithin';

/** Parameters of {@link checkLeafSnapshot}. */
export type CheckLeafSnapshotParameters = {
  blobs: BlobStore;
  signers: DeviceSigners;
  leaf: BatchManifestLeaf;
  leafIndex: number;
  proof: readonly string[];
  /** The block of the `BatchAnchored` event: the snapshot's signer must be one the twin had by then. */
  block: number;
  /** The reception time of a leaf whose manifest has none (ms): the anchoring block's time. */
  blockTime: () => Promise<number>;
  timeoutMs: number;
};

/** A leaf's snapshot as the index keeps it, or why it cannot be rebuilt. */
export type CheckedLeaf = { ok: true; leaf: RestoredLeaf } | { ok: false; reason: string };

/**
 * Fetches a manifest leaf's signed snapshot by its CID (bounded by `timeoutMs`; the store verifies the bytes against
 * the CID) and checks it: a valid signed device message (the oracle's `checkMessage`), of kind `snapshot`, of the
 * leaf's DeviceID and seq, whose signed hash is the leaf's `snapshotHash`, signed by a device signer the chain
 * recorded for the twin by the anchoring block. Never throws: a failure is a reason.
 *
 * @example
 * const checked = await checkLeafSnapshot({ blobs, signers, leaf, leafIndex, proof: tree.proof(leafIndex), block,
 *   blockTime, timeoutMs: 30_000 })
 */
export async function checkLeafSnapshot(parameters: CheckLeafSnapshotParameters): Promise<CheckedLeaf> {
  const { leaf } = parameters;
  const fail = (reason: string): CheckedLeaf => ({ ok: false, reason });
  let bytes: Uint8Array;
  try {
    bytes = await fetchWithin(parameters.blobs, leaf.cid, parameters.timeoutMs, 'snapshot');
  } catch (error) {
    return fail(`the snapshot cannot be fetched: ${reasonOf(error)}`);
  }
  const checked = checkMessage({
    topic: deviceTopic(leaf.deviceId as Hex, 'snapshot'),
    payload: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    maxPayloadBytes: MAX_BLOB_BYTES,
  });
  if (!checked.ok) {
    const { reason, detail, field } = checked.rejection;
    return fail(
      `the blob is not a valid signed snapshot of this device: ${reason}${field ? ` (${field})` : ''}: ${detail}`,
    );
  }
  const { message, signer, hash } = checked;
  if (message.kind !== 'snapshot') return fail(`the blob is a ${message.kind} message, not a snapshot`);
  if (message.seq !== Number(leaf.seq)) return fail(`the snapshot has seq ${message.seq}, the leaf ${leaf.seq}`);
  if (hash.toLowerCase() !== leaf.snapshotHash.toLowerCase()) {
    return fail(`the snapshot hashes to ${hash}, the leaf commits to ${leaf.snapshotHash}`);
  }
  const signers = await parameters.signers.before(leaf.deviceId, parameters.block);
  if (signers.length === 0) return fail(`no twin ${leaf.deviceId} was minted by block ${parameters.block}`);
  if (!signers.includes(signer.toLowerCase())) {
    return fail(`signed by ${signer}, not by a device signer the chain recorded for the twin (${signers.join(', ')})`);
  }
  return {
    ok: true,
    leaf: {
      deviceId: leaf.deviceId,
      seq: message.seq,
      collectedAt: message.body.collectedAt,
      receivedAt: leaf.receivedAt ?? (await parameters.blockTime()),
      hash,
      cid: leaf.cid,
      leafIndex: parameters.leafIndex,
      proof: parameters.proof,
    },
  };
}

/**
 * One line: a BaseError's short message and details, or any error's message.
 *
 * @example
 * reasonOf(error) // 'The manifest does not rebuild the anchored root. (its leaves give 0x… and it states 0x…)'
 */
export function reasonOf(error: unknown): string {
  if (error instanceof BaseError)
    return error.details ? `${error.shortMessage} (${error.details})` : error.shortMessage;
  return messageOf(error);
}
