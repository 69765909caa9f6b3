import { utf8ToBytes } from '@noble/hashes/utils';
import type { BlobStore } from '../../../blobs/src';
import { isIndexedMessage, type Store } from '../../../store/src';
import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { commitTelemetry } from '../ingest/commitTelemetry';
import type { Rejection } from '../ingest/rejections';
import type { OwnMessages } from './ownMessages';
import type { StoreRetry } from './storeRetry';
import type { OracleLog } from './types';

/** One accepted telemetry message waiting for its batch. */
export type BufferedTelemetry = {
  offset: number;
  receivedAt: number;
  message: Extract<DeviceMessage, { kind: 'telemetry' }>;
  hash: Hex;
  /** In a flush whose commit failed: it may have committed before failing (the answer lost). */
  retried?: boolean;
};

/** Parameters of {@link createTelemetryBuffer}. */
export type TelemetryBufferParameters = {
  index: Store;
  store: BlobStore;
  /** Readings a batch holds at most (a full buffer is flushed at once), and the age that flushes it, ms. */
  batchSize: number;
  batchAgeMs: number;
  /** `telemetryHistory` of the config (undefined: the store's default, readings kept by age). */
  keepReadings: number | undefined;
  retry: StoreRetry;
  own: OwnMessages;
  /** What a flush counts. */
  counters: { accepted: number; telemetryBatches: number; duplicates: number };
  refuse(rejection: Rejection, at: number): void;
  finish(offset: number): void;
  log: OracleLog;
};

/** The ingestion's telemetry buffer (see {@link createTelemetryBuffer}). */
export type TelemetryBuffer = {
  /** Buffers an accepted reading; resolves once a flush it started (a full buffer) is done. */
  push(item: BufferedTelemetry): Promise<void>;
  /** Stores the buffered telemetry now (one flush after the other). */
  flush(): Promise<void>;
  /** Stops the age timer (flush once more after). */
  close(): void;
};

/**
 * Telemetry buffered and stored on IPFS as one batch (by size or age), its CID recorded with each device's latest
 * reading and ledger row (`commitTelemetry`), one flush after the other: a later batch never commits its ledger rows
 * before an earlier one. A reading's journal entry is completed once its batch is committed; a batch that cannot be
 * stored goes back to the buffer for the next flush. Of the readings the store refuses as replays, an identical copy
 * of one this instance committed is a duplicate, one a failed attempt committed (its answer lost) is accepted.
 *
 * @example
 * const telemetry = createTelemetryBuffer({ index, store, batchSize, batchAgeMs, keepReadings, retry, own, counters, refuse, finish, log })
 * await telemetry.push({ offset, receivedAt, message, hash })
 */
export function createTelemetryBuffer(parameters: TelemetryBufferParameters): TelemetryBuffer {
  const { index, store, retry, own, counters, refuse, finish, log } = parameters;
  let telemetry: BufferedTelemetry[] = [];
  let flushes: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    flushes = flushes.then(flushNow);
    return flushes;
  }
  async function flushNow(): Promise<void> {
    const batch = telemetry;
    telemetry = [];
    if (batch.length === 0) return;
    try {
      const cid = await store.add(utf8ToBytes(canonicalJson(batch.map((item) => item.message))));
      const { replays } = await retry.run('telemetry commit', (attempt) => {
        if (attempt > 1) for (const item of batch) item.retried = true;
        return commitTelemetry(index, {
          cid,
          keepReadings: parameters.keepReadings,
          readings: batch.map(({ message }) => ({
            deviceId: message.deviceId,
            seq: message.seq,
            ts: message.ts,
            body: message.body,
          })),
        });
      });
      counters.telemetryBatches++;
      const refused = new Set(replays);
      batch.forEach((item, position) => refused.has(position) || own.add(item.message, item.hash));
      counters.accepted += batch.length - replays.length;
      for (const position of replays) {
        const item = batch[position]!;
        if (own.has(item.message, item.hash)) counters.duplicates++;
        else if (await isIndexedMessage(index, item.message, item.hash).catch(() => false)) {
          // The store holds this very reading: committed by an attempt of this batch whose answer was lost, or by
          // another instance (a shared subscription handing it on after a dropped session): a copy, not a replay.
          own.add(item.message, item.hash);
          if (item.retried) counters.accepted++;
          else counters.duplicates++;
        } else refuse(storeReplay(item.message), item.receivedAt);
      }
      for (const item of batch) finish(item.offset);
    } catch (error) {
      for (const item of batch) item.retried = true;
      telemetry = [...batch, ...telemetry];
      log('warn', 'telemetry batch not stored yet', { error: (error as Error).message });
    }
  }
  const timer = setInterval(() => void flush(), parameters.batchAgeMs);

  return {
    async push(item) {
      // Marked processed only once its batch is committed: a crash before that replays it from the journal.
      telemetry.push(item);
      if (telemetry.length >= parameters.batchSize) await flush();
    },
    flush,
    close: () => clearInterval(timer),
  };
}

/** The rejection of a telemetry reading the store refused as a replay (another instance accepted its number). */
function storeReplay(message: { deviceId: string; seq: number }): Rejection {
  return {
    reason: 'replay',
    detail: `seq ${message.seq} was accepted before (the shared ledger)`,
    deviceId: message.deviceId,
    field: 'seq',
  };
}
