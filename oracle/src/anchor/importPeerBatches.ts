import type { Index } from '../index/openIndex';
import { duePeerBatches } from '../index/peerBatches';
import type { BlobStore } from '../../../blobs/src';
import { importPeerBatch, type ImportPeerBatchResult, type PeerBatchBackoff } from './importPeerBatch';

/** Parameters of {@link importPeerBatches}. */
export type ImportPeerBatchesParameters = {
  index: Index;
  store: BlobStore;
  /** The timestamp (ms) of a block: the times of leaves of manifests that carry none. */
  blockTime: (block: number) => Promise<number>;
  /** How long one manifest fetch may take, ms (default 10,000). */
  timeoutMs?: number;
  backoff?: PeerBatchBackoff;
  /** Most batches one pass takes (default 20); the rest wait for the next pass. */
  limit?: number;
  now?: () => number;
  /** Called with each batch's outcome, as it is known. */
  onResult?: (result: ImportPeerBatchResult) => void;
};

/** What one {@link importPeerBatches} pass did. */
export type ImportPeerBatchesResult = {
  imported: number;
  /** Snapshots added to the index by the imported batches. */
  importedSnapshots: number;
  failed: number;
  deferred: number;
  results: ImportPeerBatchResult[];
};

/**
 * One pass of the peer-batch importer: imports, in chain order and one at a time, every peer batch due now (recorded
 * by the chain mirror for a `BatchAnchored` whose root this index did not know). See {@link importPeerBatch}.
 *
 * @example
 * const { imported, deferred } = await importPeerBatches({ index, store, blockTime })
 */
export async function importPeerBatches(parameters: ImportPeerBatchesParameters): Promise<ImportPeerBatchesResult> {
  const now = parameters.now ?? Date.now;
  const due = duePeerBatches(parameters.index, now(), { limit: parameters.limit ?? 20 });
  const summary: ImportPeerBatchesResult = { imported: 0, importedSnapshots: 0, failed: 0, deferred: 0, results: [] };
  for (const batch of due) {
    if (!parameters.index.isOpen) break;
    const result = await importPeerBatch({ ...parameters, batch, now });
    summary.results.push(result);
    if (result.outcome === 'imported') {
      summary.imported++;
      summary.importedSnapshots += result.insertedSnapshots;
    } else if (result.outcome === 'failed') summary.failed++;
    else if (result.outcome === 'deferred') summary.deferred++;
    parameters.onResult?.(result);
  }
  return summary;
}
