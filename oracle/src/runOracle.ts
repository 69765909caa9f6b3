import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils';
import { Wallet } from 'ethers';
import { connect, type MqttClient } from 'mqtt';
import { deploymentPath, readDeployment } from '../../twin-core/src/deployment/deployment';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import type { Hex } from '../../twin-core/src/encoding/hex';
import type { DeviceMessage } from '../../twin-core/src/messages/envelope';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { encodeStaticDocument } from '../../twin-core/src/static/staticDocument';
import { anchorBatch } from './anchor/anchorBatch';
import { useLinearGetUrl } from './chain/useLinearGetUrl';
import { useFastCrypto } from './crypto/useFastCrypto';
import { AnchorDeferredError, Anchorer } from './anchor/anchorer';
import { Batcher } from './anchor/batcher';
import { createPeerBatchImporter } from './anchor/createPeerBatchImporter';
import { resumeUnfinishedBatches, unbatchedSnapshots } from './anchor/recovery';
import { createChainMirror, type ChainMirror } from './chain/createChainMirror';
import { createChainProvider } from './chain/createChainProvider';
import type { OracleConfig } from './config';
import { openIndex, type Index } from './index/openIndex';
import { recordRejection } from './index/rejections';
import { acceptSnapshot } from './index/snapshots';
import { recordTelemetryBatch } from './index/telemetry';
import { advanceSequenceLedger, isIndexedMessage, loadSequenceLedger } from './index/sequenceLedger';
import { acceptAlert, ALERT_NOTIFICATION_KIND } from './ingest/acceptAlert';
import { createReceiver, type ReceiverStats } from './ingest/createReceiver';
import { Journal, type JournalStats } from './ingest/journal';
import { oracleBrokerCredentials, oracleMqttOptions, oracleSubscriptions } from './ingest/oracleMqtt';
import { keepBrokerCredentialsFresh } from '../../twin-core/src/broker/brokerCredentials';
import { brokerRealm } from '../../twin-core/src/broker/principal';
import { RejectionCounter, type Rejection } from './ingest/rejections';
import { createTwinDirectory } from './ingest/twinDirectory';
import { createVerifierPool, type VerifierPoolChecks } from './ingest/createVerifierPool';
import { checkMessage } from './ingest/checkMessage';
import { judgeCheckedMessage, type SequenceLedger } from './ingest/validateMessage';
import { type BlobStore, createBlobStore, ipfsConfigOf } from '../../blobs/src';
import type { Notification } from '../../twin-core/src/messages/notification';
import { createOracleSigner } from './publish/oracleSigner';
import { createTwinRecordPublisher } from './publish/twinRecords';

/**
 * At stop, how long the last batch may take to be sent and mined (an unreachable endpoint, a stalled chain) before it
 * is left to the next start, ms. Confirmations are never waited for at stop.
 */
const STOP_GRACE_MS = 10_000;

/** A log line sink; never given secrets. */
export type OracleLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** A running oracle. */
export type RunningOracle = {
  /** Counters for metrics and tests. */
  stats(): {
    received: number;
    accepted: number;
    anchoredBatches: number;
    anchoredSnapshots: number;
    telemetryBatches: number;
    /** Batches other instances anchored, imported into this index (with the snapshots they added). */
    importedBatches: number;
    importedSnapshots: number;
    /** Peer batches refused for good (invalid manifest). */
    peerBatchFailures: number;
    /** Security alerts indexed. */
    alerts: number;
    /** Journal entries replayed at start that the index already held (processed before a crash), completed as such. */
    replayedDuplicates: number;
    rejections: Record<string, number>;
    /** The journal on disk, and the receive path (acknowledgements held while it is full). */
    journal: JournalStats;
    receive: ReceiverStats;
    /**
     * Messages checked (parse, schema, canonical hash, signer recovery) on the verifier threads and on the main
     * thread: with `verifyThreads` > 0, `onMainThread` grows only while a thread has failed.
     */
    checks: VerifierPoolChecks;
  };
  mirror: ChainMirror;
  /** The oracle's index database: an API in the same process reads it (`runApi({ shared })`). */
  index: Index;
  /** The oracle's IPFS store (the embedded Helia node takes no second process). */
  store: BlobStore;
  /**
   * Closes the open batch and sends it (waiting at most until it is mined, never for confirmations), then stops
   * everything; a batch that is not final yet is confirmed by the next start.
   */
  stop(): Promise<void>;
};

/**
 * Runs the oracle: subscribes to the device topics (a shared subscription splits them between instances), validates
 * each message, journals what it accepts before the QoS 1 acknowledgement, stores snapshots and static documents on
 * IPFS, indexes them, batches snapshot leaves and anchors each batch root; follows the chain into the index and
 * publishes owner notifications to `twins/{deviceId}/notifications`. On start it finishes what a previous run left:
 * unprocessed journal entries, unfinished batches, unbatched snapshots.
 *
 * @example
 * const oracle = await runOracle(loadOracleConfig(), log)
 * process.on('SIGTERM', () => oracle.stop())
 */
export async function runOracle(config: OracleConfig, log: OracleLog = () => undefined): Promise<RunningOracle> {
  const crypto = await useFastCrypto();
  useLinearGetUrl();
  log('info', 'crypto backend loaded', { backend: crypto.name });
  const deployment = readDeployment(config.deploymentFile || deploymentPath('localhost'));
  // Every request bounded: an unanswered one fails after rpcTimeoutMs and its step is retried (anchoring, the mirror).
  const provider = createChainProvider({
    rpcUrl: config.rpcUrl,
    chainId: deployment.chainId,
    timeoutMs: config.rpcTimeoutMs,
  });
  const wallet = new Wallet(config.oracleKey, provider);
  // The index syncs at WAL checkpoints, not on every commit (no fsync per snapshot stalling the event loop): a
  // killed process loses nothing (the OS holds the WAL), and the journal checkpoints the index before it moves its
  // processed mark, so after a power loss whatever the index lost is replayed from the journal.
  const index = openIndex(join(config.dataDir, 'index.sqlite'), { synchronous: 'NORMAL' });
  const store = await createBlobStore({ ...ipfsConfigOf(config), dataDir: join(config.dataDir, 'ipfs'), log });
  // A checkpoint syncs the index's WAL (synchronous NORMAL syncs at checkpoints only) before the processed mark moves.
  const journal = new Journal({
    directory: join(config.dataDir, 'journal'),
    segmentBytes: config.journalSegmentBytes,
    maxBytes: config.journalMaxBytes,
    maxPayloadBytes: config.maxPayloadBytes,
    beforeMark: () => index.db.exec('PRAGMA wal_checkpoint(PASSIVE)'),
    log,
  });
  const twins = createTwinDirectory({ index, provider, twinRegistry: deployment.contracts.TwinRegistry });
  const counters = {
    received: 0,
    accepted: 0,
    anchoredBatches: 0,
    anchoredSnapshots: 0,
    telemetryBatches: 0,
    importedBatches: 0,
    importedSnapshots: 0,
    peerBatchFailures: 0,
    alerts: 0,
    replayedDuplicates: 0,
  };
  // Parsing, hashing and signature recovery on worker threads (results per device in arrival order).
  const verifiers =
    config.verifyThreads > 0
      ? createVerifierPool({
          threads: config.verifyThreads,
          maxPayloadBytes: config.maxPayloadBytes,
          onError: (error) =>
            log('error', 'verifier thread failed; checking on the main thread', { error: error.message }),
        })
      : undefined;
  /** Checks on the main thread without a verifier pool (`verifyThreads` 0). */
  let checkedInline = 0;
  const rejections = new RejectionCounter((rejection) => log('warn', 'message rejected', { ...rejection }));
  /** Counts a refused message and records it in the index. */
  const refuse = (rejection: Rejection, at: number) => {
    rejections.record(rejection);
    try {
      recordRejection(index, { ...rejection, at }, { kept: config.rejectionsKept });
    } catch (error) {
      log('warn', 'rejection not recorded', { error: (error as Error).message });
    }
  };

  // The replay check: the highest number judged per device and kind, starting from the index's ledger. The ledger
  // rows advance in the transaction that indexes each accepted message (never ahead of what is stored), and the
  // commits of one device's messages keep their judging order (inDeviceOrder): after a kill, whatever the journal
  // replays is either above the ledger (judged as new) or already indexed (a duplicate, completed silently).
  const lastSeq = new Map<string, number>();
  const wills = new Map<string, number>();
  for (const entry of loadSequenceLedger(index)) {
    if (entry.kind === 'will') wills.set(entry.deviceId, entry.seq);
    else lastSeq.set(`${entry.deviceId}:${entry.kind}`, entry.seq);
  }
  const ledger: SequenceLedger = { last: (id, kind) => lastSeq.get(`${id}:${kind}`), willSeq: (id) => wills.get(id) };
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

  const anchorer = new Anchorer({
    wallet,
    anchorAddress: deployment.contracts.SnapshotAnchor,
    confirmations: config.confirmations,
    onRetry: (error, attempt, waitMs) =>
      log('warn', 'anchoring retry', { attempt, waitMs, error: error.message.slice(0, 200) }),
  });
  const anchor = (snapshots: Parameters<typeof anchorBatch>[0]['snapshots'], batchId?: number, onSent?: () => void) =>
    anchorBatch({
      snapshots,
      index,
      store,
      anchorer,
      ...(batchId !== undefined ? { batchId } : {}),
      ...(onSent ? { onSent } : {}),
      onAnchored: (batch) => {
        counters.anchoredBatches++;
        counters.anchoredSnapshots += batch.leafCount;
        log('info', 'batch anchored', batch);
      },
    }).then(
      () => undefined,
      (error: Error) =>
        error instanceof AnchorDeferredError
          ? log('info', 'batch left unfinished for the next start', { tx: error.txHash, reason: error.reason })
          : log('error', 'batch not anchored', { error: error.message }),
    );
  const batcher = new Batcher({
    maxSize: config.batchSize,
    maxAgeMs: config.batchAgeMs,
    maxInFlight: config.anchorConcurrency,
    onBatch: (snapshots) => anchor(snapshots),
  });

  // Finish what a previous run left, in order: unfinished batches, then everything accepted but not yet batched.
  const resumed = await resumeUnfinishedBatches(index, anchor);

  let client: MqttClient | undefined;
  // Notifications and twin records carry the oracle's signature, in the envelope of device messages.
  const signer = createOracleSigner(config.oracleKey as Hex);
  const notify = (deviceId: Hex, body: Notification) =>
    client?.publish(deviceTopic(deviceId, 'notifications'), JSON.stringify(signer.notification(deviceId, body)), {
      qos: 1,
    });
  const mirror = createChainMirror({
    provider,
    deployment,
    index,
    confirmations: config.confirmations,
    onStateChange: (event) => {
      const deviceId = (event as { deviceId: string }).deviceId as Hex;
      notify(
        deviceId,
        JSON.parse(
          JSON.stringify(event, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)),
        ) as Notification,
      );
    },
    onError: (error) => log('warn', 'chain mirror error', { error: (error as Error).message }),
  });
  await mirror.syncOnce().catch((error: Error) => log('warn', 'chain mirror not synced yet', { error: error.message }));
  mirror.start(1_000);

  // Batches other instances anchored (recorded by the mirror) are imported from their manifests on IPFS.
  const peerImporter = createPeerBatchImporter({
    index,
    store,
    blockTime: async (block) => {
      const found = await provider.getBlock(block);
      if (found === null) throw new Error(`block ${block} not found`);
      return found.timestamp * 1000;
    },
    onResult: (result) => {
      if (result.outcome === 'imported') {
        counters.importedBatches++;
        counters.importedSnapshots += result.insertedSnapshots;
        log('info', 'peer batch imported', { ...result });
      } else if (result.outcome === 'failed') {
        counters.peerBatchFailures++;
        log('warn', 'peer batch refused', { ...result });
      } else if (result.outcome === 'deferred') {
        log('warn', 'peer batch not imported yet', { ...result });
      }
    },
    onError: (error) => log('warn', 'peer batch import pass failed', { error: (error as Error).message }),
  });
  peerImporter.start(config.peerBatchIntervalMs);

  const finish = (offset: number) => journal.complete(offset);
  let telemetry: { offset: number; message: Extract<DeviceMessage, { kind: 'telemetry' }> }[] = [];
  let telemetryFlushes: Promise<void> = Promise.resolve();
  /**
   * Stores the buffered telemetry on IPFS as one batch and records its CID (with each device's latest reading and
   * its ledger row), one flush after the other: a later batch never commits its ledger rows before an earlier one.
   */
  function flushTelemetry(): Promise<void> {
    telemetryFlushes = telemetryFlushes.then(flushTelemetryNow);
    return telemetryFlushes;
  }
  async function flushTelemetryNow(): Promise<void> {
    const batch = telemetry;
    telemetry = [];
    if (batch.length === 0) return;
    try {
      const cid = await store.add(utf8ToBytes(canonicalJson(batch.map((item) => item.message))));
      recordTelemetryBatch(index, {
        cid,
        keepReadings: config.telemetryHistory,
        messages: batch.map(({ message }) => ({
          deviceId: message.deviceId,
          seq: message.seq,
          ts: message.ts,
          body: message.body,
        })),
      });
      counters.telemetryBatches++;
      for (const item of batch) finish(item.offset);
    } catch (error) {
      telemetry = [...batch, ...telemetry];
      log('warn', 'telemetry batch not stored yet', { error: (error as Error).message });
    }
  }
  const telemetryTimer = setInterval(() => void flushTelemetry(), config.batchAgeMs);

  async function processAccepted(
    offset: number,
    payload: string,
    message: DeviceMessage,
    hash: Hex,
    receivedAt: number,
  ): Promise<void> {
    if (message.kind === 'snapshot') {
      // Stored on IPFS at once; indexed (with its ledger row) after the device's earlier snapshots.
      const stored = store.add(utf8ToBytes(payload));
      stored.catch(() => undefined);
      await inDeviceOrder(message.deviceId, async () => {
        const cid = await stored;
        const { snapshot } = acceptSnapshot(index, {
          deviceId: message.deviceId,
          seq: message.seq,
          collectedAt: message.body.collectedAt,
          hash,
          cid,
          receivedAt,
        });
        if (snapshot.batchId === null) {
          batcher.add({
            deviceId: BigInt(message.deviceId),
            sequence: BigInt(message.seq),
            snapshotHash: hash,
            cid,
            receivedAt,
          });
        }
      });
    } else if (message.kind === 'telemetry') {
      // Marked processed only once its batch is on IPFS: a crash before that replays it from the journal.
      telemetry.push({ offset, message });
      if (telemetry.length >= config.batchSize) await flushTelemetry();
      return;
    } else if (message.kind === 'static') {
      const stored = store.add(encodeStaticDocument(message.body));
      stored.catch(() => undefined);
      await inDeviceOrder(message.deviceId, async () => {
        await stored;
        advanceSequenceLedger(index, [{ deviceId: message.deviceId, kind: 'static', seq: message.seq }]);
      });
    } else if (message.kind === 'status') {
      const willSeq = message.body.state === 'online' ? message.body.willSeq : null;
      if (willSeq !== null) wills.set(message.deviceId, willSeq);
      advanceSequenceLedger(index, [
        { deviceId: message.deviceId, kind: 'status', seq: message.seq },
        ...(willSeq !== null ? [{ deviceId: message.deviceId, kind: 'will', seq: willSeq }] : []),
      ]);
    }
    finish(offset);
  }

  /**
   * Judges a journaled message and processes it when accepted. A message `replayed` from the journal at start that
   * the index already holds was processed before the crash (its completion not yet on disk): the same message,
   * completed without a second judgement (which would call it a replay of itself).
   */
  async function judgeAndProcess(
    offset: number,
    topic: string,
    payload: Buffer,
    receivedAt: number,
    replayed = false,
  ): Promise<void> {
    try {
      const judging = { twins, ledger, maxClockSkewMs: config.maxClockSkewSeconds * 1000, now: receivedAt };
      if (verifiers === undefined) checkedInline++;
      const checked =
        verifiers === undefined
          ? checkMessage({ topic, payload, maxPayloadBytes: config.maxPayloadBytes })
          : await verifiers.check(topic, payload);
      if (checked.ok && replayed && isIndexedMessage(index, checked.message, checked.hash)) {
        counters.replayedDuplicates++;
        finish(offset);
        return;
      }
      const verdict = checked.ok ? await judgeCheckedMessage(checked, judging) : checked;
      if (!verdict.ok) {
        refuse(verdict.rejection, receivedAt);
        finish(offset);
        return;
      }
      const { message } = verdict;
      const key = `${message.deviceId}:${message.kind}`;
      lastSeq.set(key, Math.max(message.seq, lastSeq.get(key) ?? -1));
      counters.accepted++;
      // What is stored is what was verified: the canonical bytes of the message as received, never the raw payload.
      await processAccepted(offset, verdict.canonical, message, verdict.hash, receivedAt);
    } catch (error) {
      log('error', 'processing failed', { offset, error: (error as Error).message });
    }
  }

  /** Indexes a security entity's alert and notifies the twin's owner on the notifications topic. */
  function handleAlert(topic: string, payload: Buffer, receivedAt: number): void {
    try {
      const verdict = acceptAlert({ index, topic, payload, maxPayloadBytes: config.maxPayloadBytes, now: receivedAt });
      if (!verdict.ok) {
        refuse(verdict.rejection, receivedAt);
        return;
      }
      counters.alerts++;
      if (verdict.notification !== undefined) {
        notify(verdict.message.deviceId as Hex, {
          kind: ALERT_NOTIFICATION_KIND,
          deviceId: verdict.message.deviceId,
          ...verdict.notification,
        } as Notification);
      }
    } catch (error) {
      log('error', 'alert not indexed', { topic, error: (error as Error).message });
    }
  }

  // Streamed from disk one entry at a time: bounded memory whatever the journal holds.
  for (const entry of journal.replay())
    await judgeAndProcess(entry.offset, entry.topic, entry.payload, entry.receivedAt, true);
  if (counters.replayedDuplicates > 0) {
    log('info', 'journal entries already indexed before the restart', { entries: counters.replayedDuplicates });
  }
  for (const snapshot of unbatchedSnapshots(index)) batcher.add(snapshot);

  const receiver = createReceiver({
    journal,
    maxPayloadBytes: config.maxPayloadBytes,
    maxQueuedBytes: config.ingestQueueBytes,
    refuse,
    process: judgeAndProcess,
    log,
  });
  const credentials = oracleBrokerCredentials(config, brokerRealm(deployment));
  client = connect(config.mqttUrl, oracleMqttOptions(config, credentials));
  keepBrokerCredentialsFresh(client, credentials);
  // mqtt.js sends the QoS 1 acknowledgement when handleMessage calls back (and reads nothing more from the connection
  // until then): what is plainly not a device message is refused before the disk; the rest is journaled first (one
  // write: it survives a kill of the oracle at any instant), then judged and processed off the receive path.
  client.handleMessage = (packet, callback) => {
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const receivedAt = Date.now();
    counters.received++;
    if (topic.endsWith('/alerts')) {
      // A security alert is indexed at once (one small synchronous write) before the acknowledgement.
      handleAlert(topic, payload, receivedAt);
      return callback();
    }
    const stream = client!.stream;
    receiver.receive(
      topic,
      payload,
      receivedAt,
      () => callback(),
      () => client!.stream === stream,
    );
  };
  client.on('connect', () => {
    client!.subscribe(
      oracleSubscriptions(config.mqttShared ? config.mqttShareGroup : ''),
      { qos: 1 },
      (error) => error && log('error', 'subscription refused', { error: error.message }),
    );
    log('info', 'oracle subscribed', {
      broker: config.mqttUrl,
      group: config.mqttShared ? config.mqttShareGroup : null,
    });
  });
  client.on('error', (error) => log('warn', 'mqtt error', { error: error.message }));
  // The signed twin record of every twin, retained, republished when its owner, state or signer changes.
  const twinRecords = createTwinRecordPublisher({
    index,
    signer,
    chainId: deployment.chainId,
    registry: deployment.contracts.TwinRegistry,
    publish: (topic, payload) => client?.publish(topic, payload, { qos: 1, retain: true }),
  });
  const publishRecords = () => {
    try {
      twinRecords.publishChanged();
    } catch (error) {
      log('warn', 'twin records not published', { error: (error as Error).message });
    }
  };
  publishRecords();
  const recordTimer = setInterval(publishRecords, 1_000);

  return {
    stats: () => ({
      ...counters,
      rejections: rejections.snapshot(),
      journal: journal.stats(),
      receive: receiver.stats(),
      checks: {
        onThreads: verifiers?.checked.onThreads ?? 0,
        onMainThread: (verifiers?.checked.onMainThread ?? 0) + checkedInline,
      },
    }),
    mirror,
    index,
    store,
    async stop() {
      clearInterval(recordTimer);
      await client?.endAsync(true);
      receiver.close();
      // What the threads still hold is checked here; anything not processed by the end is replayed from the journal.
      await verifiers?.close();
      clearInterval(telemetryTimer);
      await flushTelemetry();
      // The last batch is sent, and nothing waits for confirmations (blocks an instamine chain never mines without
      // a transaction): what is not final is confirmed by the next start.
      anchorer.release(STOP_GRACE_MS);
      await batcher.flush();
      await resumed.settled;
      await peerImporter.stop();
      mirror.stop();
      journal.close();
      await store.close();
      provider.destroy();
      index.close();
    },
  };
}
