import { createSerialLoop, type LoopTimers, type SerialLoop } from '../../../twin-core/src/runtime/serialLoop';
import { importPeerBatches, type ImportPeerBatchesParameters, type ImportPeerBatchesResult } from './importPeerBatches';

/** Parameters of {@link createPeerBatchImporter}: those of a pass, and where the loop's errors go. */
export type PeerBatchImporterOptions = ImportPeerBatchesParameters & {
  /** Errors of a pass that escaped it (e.g. the index closed under it); default: ignored. */
  onError?: (error: unknown) => void;
  timers?: LoopTimers;
};

/** The peer-batch importer's loop. */
export type PeerBatchImporter = SerialLoop<ImportPeerBatchesResult>;

/**
 * Runs {@link importPeerBatches} on a timer (and once at start), one pass at a time, so that the index of each
 * oracle instance holds every anchored snapshot, whichever instance anchored it.
 *
 * @example
 * const importer = createPeerBatchImporter({ index, store, blockTime, onResult: (result) => log('info', result.outcome) })
 * importer.start(5_000)
 * await importer.stop()
 */
export function createPeerBatchImporter(options: PeerBatchImporterOptions): PeerBatchImporter {
  return createSerialLoop(() => importPeerBatches(options), {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
  });
}
