import { join } from 'node:path';
import { Wallet } from 'ethers';
import { connect, type MqttClient } from 'mqtt';
import { type BlobStore, createBlobStore, ipfsConfigOf } from '../../blobs/src';
import { gateStore, loadStoreConfig, startStoreFromEnvironment, type Store } from '../../store/src';
import { keepBrokerCredentialsFresh } from '../../twin-core/src/broker/brokerCredentials';
import { brokerRealm } from '../../twin-core/src/broker/principal';
import { deploymentPath, readDeployment } from '../../twin-core/src/deployment/deployment';
import type { Hex } from '../../twin-core/src/encoding/hex';
import type { Notification } from '../../twin-core/src/messages/notification';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { createChainMirror } from './chain/createChainMirror';
import { createChainProvider } from './chain/createChainProvider';
import { useLinearGetUrl } from './chain/useLinearGetUrl';
import type { OracleConfig } from './config';
import { useFastCrypto } from './crypto/useFastCrypto';
import { createReceiver } from './ingest/createReceiver';
import { createTwinDirectory } from './ingest/twinDirectory';
import { createVerifierPool } from './ingest/createVerifierPool';
import { Journal } from './ingest/journal';
import { oracleBrokerCredentials, oracleMqttOptions, oracleSubscriptions } from './ingest/oracleMqtt';
import { createOracleSigner } from './publish/oracleSigner';
import { createTwinRecordPublisher } from './publish/twinRecords';
import { startAnchoring } from './run/anchoring';
import { createIngestion } from './run/ingestion';
import { startMaintenance } from './run/maintenance';
import { createReplayGuard } from './run/replayGuard';
import type { OracleLog, RunningOracle, RunOracleOptions } from './run/types';

export type { OracleLog, OracleStats, RunningOracle, RunOracleOptions } from './run/types';

/**
 * Runs the oracle: subscribes to the device topics (a shared subscription splits them between instances), validates
 * each message, journals what it accepts before the QoS 1 acknowledgement, stores snapshots and static documents on
 * IPFS, indexes them in the shared index (PostgreSQL: `options.index`, or one started from the environment), batches
 * snapshot leaves and anchors each batch root; follows the chain into the index and publishes owner notifications
 * to `twins/{deviceId}/notifications`. On start it finishes what was left: unprocessed journal entries, unfinished
 * batches and unbatched snapshots (read from the index, whichever instance left them). Any number of instances may
 * share one index: a replay is refused whichever instance receives it, each snapshot is anchored once.
 *
 * @example
 * const oracle = await runOracle(loadOracleConfig(), log)
 * process.on('SIGTERM', () => oracle.stop())
 */
export async function runOracle(
  config: OracleConfig,
  log: OracleLog = () => undefined,
  options: RunOracleOptions = {},
): Promise<RunningOracle> {
  const crypto = await useFastCrypto();
  useLinearGetUrl();
  log('info', 'crypto backend loaded', { backend: crypto.name });
  const deployment = readDeployment(config.deploymentFile || deploymentPath('localhost'));
  // The store's settings of the environment (upkeep: retention, gap bounds), checked before anything starts.
  const storeSettings = loadStoreConfig({
    environment: { STORE_EMBEDDED_DATA_DIR: join(config.dataDir, 'postgres'), ...process.env },
  });
  const index: Store = options.index ?? (await startStoreFromEnvironment({ dataDir: config.dataDir }));
  const ownsIndex = options.index === undefined;
  const closing: (() => Promise<void> | void)[] = [];
  try {
    return await startOn(index);
  } catch (error) {
    for (const close of closing.reverse()) await Promise.resolve(close()).catch(() => undefined);
    if (ownsIndex) await index.close().catch(() => undefined);
    throw error;
  }

  async function startOn(index: Store): Promise<RunningOracle> {
    // Every request bounded: an unanswered one fails after rpcTimeoutMs and its step is retried (anchoring, mirror).
    const provider = createChainProvider({
      rpcUrl: config.rpcUrl,
      chainId: deployment.chainId,
      timeoutMs: config.rpcTimeoutMs,
    });
    closing.push(() => provider.destroy());
    const wallet = new Wallet(config.oracleKey, provider);
    const upkeep = await startMaintenance({
      index,
      settings: storeSettings,
      intervalMs: config.maintenanceIntervalMs,
      log,
    });
    closing.push(() => upkeep.stop());
    const store: BlobStore = await createBlobStore({
      ...ipfsConfigOf(config),
      dataDir: join(config.dataDir, 'ipfs'),
      log,
    });
    closing.push(() => store.close());
    // PostgreSQL commits are durable: the processed mark moves once the index committed, no checkpoint needed.
    const journal = new Journal({
      directory: join(config.dataDir, 'journal'),
      segmentBytes: config.journalSegmentBytes,
      maxBytes: config.journalMaxBytes,
      maxPayloadBytes: config.maxPayloadBytes,
      log,
    });
    closing.push(() => journal.close());
    // The ingestion's store work (twin lookups, replay checks, commits) through a few slots below the pool size: a
    // burst of messages waits in memory for a connection instead of timing out in the pool's queue; the other slots
    // stay for the chain mirror, anchoring and upkeep.
    const ingestIndex = gateStore(index, { slots: ingestSlots(index) });
    const twins = createTwinDirectory({
      index: ingestIndex,
      provider,
      twinRegistry: deployment.contracts.TwinRegistry,
    });
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
    closing.push(() => verifiers?.close());
    const guard = await createReplayGuard(ingestIndex, { telemetryUnkept: config.telemetryHistory === 0 });
    const anchoring = await startAnchoring({
      config,
      index,
      store,
      wallet,
      anchorAddress: deployment.contracts.SnapshotAnchor,
      log,
    });

    let client: MqttClient | undefined;
    // Notifications and twin records carry the oracle's signature, in the envelope of device messages.
    const signer = createOracleSigner(config.oracleKey as Hex);
    const notify = (deviceId: Hex, body: Notification) =>
      void client?.publish(
        deviceTopic(deviceId, 'notifications'),
        JSON.stringify(signer.notification(deviceId, body)),
        {
          qos: 1,
        },
      );
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
    await mirror
      .syncOnce()
      .catch((error: Error) => log('warn', 'chain mirror not synced yet', { error: error.message }));
    mirror.start(1_000);
    closing.push(() => mirror.stop());

    const ingestion = createIngestion({
      config,
      index: ingestIndex,
      store,
      twins,
      guard,
      verifiers,
      finish: (offset) => journal.complete(offset),
      batch: anchoring.add,
      notify,
      log,
    });
    // Streamed from disk one entry at a time: bounded memory whatever the journal holds.
    for (const entry of journal.replay())
      await ingestion.judgeAndProcess(entry.offset, entry.topic, entry.payload, entry.receivedAt, true);
    const { counters } = ingestion;
    if (counters.replayedDuplicates > 0) {
      log('info', 'journal entries already indexed before the restart', { entries: counters.replayedDuplicates });
    }
    await anchoring.takeQueued();

    const receiver = createReceiver({
      journal,
      maxPayloadBytes: config.maxPayloadBytes,
      maxQueuedBytes: config.ingestQueueBytes,
      refuse: ingestion.refuse,
      process: ingestion.judgeAndProcess,
      log,
    });
    const credentials = oracleBrokerCredentials(config, brokerRealm(deployment));
    client = connect(config.mqttUrl, oracleMqttOptions(config, credentials));
    keepBrokerCredentialsFresh(client, credentials);
    const received = { count: 0 };
    // mqtt.js sends the QoS 1 acknowledgement when handleMessage calls back (and reads nothing more from the
    // connection until then): what is plainly not a device message is refused before the disk; the rest is journaled
    // first (one write: it survives a kill of the oracle at any instant), then judged and processed off the receive
    // path.
    client.handleMessage = (packet, callback) => {
      const topic = packet.topic;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const receivedAt = Date.now();
      received.count++;
      if (topic.endsWith('/alerts')) {
        // A security alert is indexed (one small transaction) before the acknowledgement.
        void ingestion.handleAlert(topic, payload, receivedAt).finally(() => callback());
        return;
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
    let publishing: Promise<unknown> = Promise.resolve();
    const publishRecords = () => {
      publishing = twinRecords
        .publishChanged()
        .catch((error: Error) => log('warn', 'twin records not published', { error: error.message }));
    };
    publishRecords();
    const recordTimer = setInterval(() => {
      void publishing.then(publishRecords);
    }, 1_000);

    return {
      stats: () => ({
        received: received.count,
        accepted: counters.accepted,
        anchoredBatches: anchoring.counters.anchoredBatches,
        anchoredSnapshots: anchoring.counters.anchoredSnapshots,
        telemetryBatches: counters.telemetryBatches,
        alerts: counters.alerts,
        replayedDuplicates: counters.replayedDuplicates,
        duplicates: counters.duplicates,
        store: {
          ...ingestion.storeRetries,
          ...ingestIndex.gate.stats(),
          twinLookups: twins.lookups.twins,
          twinStatements: twins.lookups.statements,
          snapshotTransactions: ingestion.snapshotCommits.transactions,
          snapshotsCommitted: ingestion.snapshotCommits.snapshots,
        },
        maintenanceRuns: upkeep.runs,
        maintenanceFailures: upkeep.failures,
        rejections: ingestion.rejections.snapshot(),
        journal: journal.stats(),
        receive: receiver.stats(),
        checks: {
          onThreads: verifiers?.checked.onThreads ?? 0,
          onMainThread: (verifiers?.checked.onMainThread ?? 0) + counters.checkedInline,
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
        // Messages being processed finish their commits (bounded); the telemetry buffered is stored.
        await ingestion.settle(10_000);
        ingestion.close();
        await ingestion.flushTelemetry();
        await anchoring.stop();
        await publishing;
        upkeep.stop();
        mirror.stop();
        journal.close();
        await store.close();
        provider.destroy();
        if (ownsIndex) await index.close();
      },
    };
  }
}

/**
 * The ingestion's share of the pool: all but two connections (at least one), for the chain mirror, anchoring, the
 * upkeep and the twin records.
 */
function ingestSlots(index: Store): number {
  const size = index.pool.options.max ?? 10;
  return Math.max(1, size - 2);
}
