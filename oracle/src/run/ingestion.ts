import { utf8ToBytes } from '@noble/hashes/utils';
import type { BlobStore } from '../../../blobs/src';
import { isIndexedMessage, recordRejection, type Store } from '../../../store/src';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { DeviceMessage } from '../../../twin-core/src/messages/envelope';
import type { Notification } from '../../../twin-core/src/messages/notification';
import { encodeStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { PendingSnapshot } from '../anchor/batcher';
import type { OracleConfig } from '../config';
import { acceptAlert, ALERT_NOTIFICATION_KIND } from '../ingest/acceptAlert';
import { checkMessage } from '../ingest/checkMessage';
import { commitLedgerMessage } from '../ingest/commitMessages';
import type { VerifierPool } from '../ingest/createVerifierPool';
import { RejectionCounter, type Rejection } from '../ingest/rejections';
import type { TwinDirectory } from '../ingest/validateMessage';
import { createOwnMessages } from './ownMessages';
import { createSnapshotCommits, type SnapshotCommitCounters } from './snapshotCommits';
import type { ReplayGuard } from './replayGuard';
import { createStoreRetry, type StoreRetryCounters } from './storeRetry';
import { createTelemetryBuffer } from './telemetryBuffer';
import type { OracleLog } from './types';

/** What the ingestion counts (part of the oracle's stats). */
export type IngestionCounters = {
  accepted: number;
  telemetryBatches: number;
  alerts: number;
  replayedDuplicates: number;
  /**
   * Identical copies of messages the index holds (redelivered by the broker or the device's client, to this
   * instance or from another's dropped session; a commit retried after it had succeeded): completed without a
   * rejection.
   */
  duplicates: number;
  /** Checks on the main thread without a verifier pool (`verifyThreads` 0). */
  checkedInline: number;
};

/** Parameters of {@link createIngestion}. */
export type IngestionParameters = {
  config: OracleConfig;
  /** The shared index, best a gated view (`gateStore`): a burst then waits in memory for a connection. */
  index: Store;
  store: BlobStore;
  twins: TwinDirectory;
  guard: ReplayGuard;
  verifiers: VerifierPool | undefined;
  /** Marks a journal entry processed. */
  finish: (offset: number) => void;
  /** Takes an accepted snapshot into the open batch. */
  batch: (snapshot: PendingSnapshot) => void;
  notify: (deviceId: Hex, body: Notification) => void;
  log: OracleLog;
};

/** The oracle's ingestion: judging, storing and indexing what the receiver journaled, and alerts. */
export type Ingestion = {
  counters: IngestionCounters;
  /** Store work repeated after a transient failure, and given up (left in the journal). */
  storeRetries: StoreRetryCounters;
  /** The snapshot commits' transactions, and the snapshots they stored (`createSnapshotCommits`). */
  snapshotCommits: SnapshotCommitCounters;
  rejections: RejectionCounter;
  /** Counts a refused message and records it in the index. */
  refuse(rejection: Rejection, at: number): void;
  /**
   * Judges a journaled message and processes it when accepted. A message `replayed` from the journal at start that
   * the index already holds was processed before the crash (its completion not yet on disk): the same message,
   * completed without a second judgement (which would call it a replay of itself).
   */
  judgeAndProcess(
    offset: number,
    topic: string,
    payload: Buffer,
    receivedAt: number,
    replayed?: boolean,
  ): Promise<void>;
  /** Indexes a security entity's alert and notifies the twin's owner on the notifications topic. */
  handleAlert(topic: string, payload: Buffer, receivedAt: number): Promise<void>;
  /** Stores the buffered telemetry now (one flush after the other). */
  flushTelemetry(): Promise<void>;
  /** Stops the telemetry timer (flush once more after). */
  close(): void;
  /** Resolves once the messages being judged and processed now are done (at most `timeoutMs`). */
  settle(timeoutMs: number): Promise<void>;
};

/**
 * The ingestion of one oracle instance. Snapshots and static documents go to IPFS at once and are committed in
 * each device's judging order; telemetry is buffered and stored as one IPFS batch (size or age, as snapshot
 * batches); every commit lets the store decide on replays (see `commitMessages.ts`, `commitTelemetry.ts`).
 *
 * @example
 * const ingestion = createIngestion({ config, index, store, twins, guard, verifiers, finish, batch, notify, log })
 * await ingestion.judgeAndProcess(offset, topic, payload, Date.now())
 */
export function createIngestion(parameters: IngestionParameters): Ingestion {
  const { config, index, store, twins, guard, verifiers, finish, log } = parameters;
  const counters: IngestionCounters = {
    accepted: 0,
    telemetryBatches: 0,
    alerts: 0,
    replayedDuplicates: 0,
    duplicates: 0,
    checkedInline: 0,
  };
  // Transient store failures (a pool wait timed out, a connection broke) are retried, never a lost message.
  const retry = createStoreRetry({ log });
  const own = createOwnMessages();
  // Snapshots accepted while one transaction stores others are stored together by the next (one commit).
  const snapshotCommits = createSnapshotCommits({ index });
  const rejections = new RejectionCounter((rejection) => log('warn', 'message rejected', { ...rejection }));
  const refuse = (rejection: Rejection, at: number) => {
    rejections.record(rejection);
    recordRejection(index, { ...rejection, at }, { kept: config.rejectionsKept }).catch((error: Error) =>
      log('warn', 'rejection not recorded', { error: error.message }),
    );
  };

  /** The tail of each device's commits (snapshots, static documents): each waits for the one judged before it. */
  const deviceCommits = new Map<string, Promise<void>>();
  const inDeviceOrder = (deviceId: string, commit: () => Promise<void>): Promise<void> => {
    const previous = deviceCommits.get(deviceId);
    const run = previous === undefined ? commit() : previous.then(commit);
    const tail = run.catch(() => undefined);
    deviceCommits.set(deviceId, tail);
    void tail.then(() => deviceCommits.get(deviceId) === tail && deviceCommits.delete(deviceId));
    return run;
  };

  const telemetry = createTelemetryBuffer({
    index,
    store,
    batchSize: config.batchSize,
    batchAgeMs: config.batchAgeMs,
    keepReadings: config.telemetryHistory,
    retry,
    own,
    counters,
    refuse,
    finish,
    log,
  });

  async function processAccepted(
    offset: number,
    payload: string,
    message: DeviceMessage,
    hash: Hex,
    receivedAt: number,
  ): Promise<void> {
    if (message.kind === 'telemetry') {
      await telemetry.push({ offset, receivedAt, message, hash });
      return;
    }
    let refusal: Rejection | undefined;
    if (message.kind === 'snapshot') {
      // Stored on IPFS at once; indexed (with its ledger row) after the device's earlier snapshots.
      const stored = store.add(utf8ToBytes(payload));
      stored.catch(() => undefined);
      await inDeviceOrder(message.deviceId, async () => {
        const cid = await stored;
        const result = await commitOnce('snapshot commit', message, hash, () =>
          snapshotCommits.commit({
            deviceId: message.deviceId,
            seq: message.seq,
            collectedAt: message.body.collectedAt,
            hash,
            cid,
            receivedAt,
          }),
        );
        if (!result.ok) {
          refusal = result.rejection;
          return;
        }
        parameters.batch({
          deviceId: BigInt(message.deviceId),
          sequence: BigInt(message.seq),
          snapshotHash: hash,
          cid,
          receivedAt,
        });
      });
    } else if (message.kind === 'static') {
      const stored = store.add(encodeStaticDocument(message.body));
      stored.catch(() => undefined);
      await inDeviceOrder(message.deviceId, async () => {
        await stored;
        const result = await commitOnce('static document commit', message, hash, () =>
          commitLedgerMessage(index, { deviceId: message.deviceId, kind: 'static', seq: message.seq, hash }),
        );
        if (!result.ok) refusal = result.rejection;
      });
    } else if (message.kind === 'status') {
      await inDeviceOrder(message.deviceId, async () => {
        const result = await commitOnce('status commit', message, hash, () =>
          commitLedgerMessage(index, {
            deviceId: message.deviceId,
            kind: 'status',
            seq: message.seq,
            willSeq: message.body.state === 'online' ? message.body.willSeq : null,
            offline: message.body.state === 'offline',
            hash,
          }),
        );
        if (!result.ok) refusal = result.rejection;
      });
    }
    if (refusal === undefined) {
      own.add(message, hash);
      counters.accepted++;
    } else if (refusal.reason === 'replay' && (await isCopyOfIndexed(message, hash))) counters.duplicates++;
    else refuse(refusal, receivedAt);
    finish(offset);
  }

  /**
   * Whether a message the replay check refused is an identical copy of one the index holds: one this instance
   * committed lately (`own`), or one any instance committed (with a shared subscription the broker hands an
   * unacknowledged message to another instance when the first one's session drops, and a device's client resends
   * after a reconnect to whichever instance is next): a snapshot with its hash, a reading with its body, a status or
   * static message that is its ledger row's last (same number and hash).
   */
  async function isCopyOfIndexed(message: DeviceMessage, hash: Hex): Promise<boolean> {
    if (own.has(message, hash)) return true;
    const indexed = await retry
      .run('copy check', () => isIndexedMessage(index, message, hash, { exact: true }))
      .catch(() => false);
    if (indexed) own.add(message, hash);
    return indexed;
  }

  /**
   * A commit, retried on transient store failures: a later attempt the store refuses as a replay of this very
   * message (same hash) is the earlier attempt's commit, its answer lost: committed.
   */
  function commitOnce<result extends { ok: boolean }>(
    what: string,
    message: DeviceMessage,
    hash: Hex,
    commit: () => Promise<result>,
  ): Promise<result | { ok: true }> {
    return retry.run(what, async (attempt) => {
      const result = await commit();
      if (!result.ok && attempt > 1 && (await isIndexedMessage(index, message, hash))) return { ok: true as const };
      return result;
    });
  }

  /** Messages being judged and processed now: the stop waits for them (their commits) before closing the journal. */
  const inFlight = new Set<Promise<void>>();
  function judgeAndProcess(
    offset: number,
    topic: string,
    payload: Buffer,
    receivedAt: number,
    replayed = false,
  ): Promise<void> {
    const run = judgeAndProcessNow(offset, topic, payload, receivedAt, replayed);
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  }
  async function judgeAndProcessNow(
    offset: number,
    topic: string,
    payload: Buffer,
    receivedAt: number,
    replayed: boolean,
  ): Promise<void> {
    try {
      if (verifiers === undefined) counters.checkedInline++;
      const checked =
        verifiers === undefined
          ? checkMessage({ topic, payload, maxPayloadBytes: config.maxPayloadBytes })
          : await verifiers.check(topic, payload);
      if (
        checked.ok &&
        replayed &&
        (await retry.run('journal replay check', () => isIndexedMessage(index, checked.message, checked.hash)))
      ) {
        counters.replayedDuplicates++;
        finish(offset);
        return;
      }
      // The twin lookup and the replay check read the store: retried on transient failures (nothing is remembered
      // of a judgement that did not end).
      const verdict = checked.ok
        ? await retry.run('judgement', () =>
            guard.judge(checked, { twins, maxClockSkewMs: config.maxClockSkewSeconds * 1000, now: receivedAt }),
          )
        : checked;
      if (!verdict.ok) {
        if (
          checked.ok &&
          verdict.rejection.reason === 'replay' &&
          (await isCopyOfIndexed(checked.message, checked.hash))
        ) {
          counters.duplicates++;
        } else refuse(verdict.rejection, receivedAt);
        finish(offset);
        return;
      }
      // What is stored is what was verified: the canonical bytes of the message as received, never the raw payload.
      await processAccepted(offset, verdict.canonical, verdict.message, verdict.hash, receivedAt);
    } catch (error) {
      // Not completed: the entry stays in the journal and is judged again at the next start.
      log('error', 'processing failed; the message stays in the journal (replayed at the next start)', {
        offset,
        error: (error as Error).message,
      });
    }
  }

  async function handleAlert(topic: string, payload: Buffer, receivedAt: number): Promise<void> {
    try {
      const verdict = await retry.run('alert', () =>
        acceptAlert({ index, topic, payload, maxPayloadBytes: config.maxPayloadBytes, now: receivedAt }),
      );
      if (!verdict.ok) {
        refuse(verdict.rejection, receivedAt);
        return;
      }
      counters.alerts++;
      if (verdict.notification !== undefined) {
        parameters.notify(
          verdict.message.deviceId as Hex,
          {
            kind: ALERT_NOTIFICATION_KIND,
            deviceId: verdict.message.deviceId,
            ...verdict.notification,
          } as Notification,
        );
      }
    } catch (error) {
      log('error', 'alert not indexed', { topic, error: (error as Error).message });
    }
  }

  return {
    counters,
    storeRetries: retry.counters,
    snapshotCommits: snapshotCommits.counters,
    rejections,
    refuse,
    judgeAndProcess,
    handleAlert,
    flushTelemetry: () => telemetry.flush(),
    close: () => telemetry.close(),
    async settle(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.allSettled([...inFlight]).then(() => undefined), bound]);
      clearTimeout(timer);
    },
  };
}
