import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { ZeroHash } from 'ethers';
import { DeviceChannel } from '../../agent/src/device/deviceChannel';
import { SequenceStore } from '../../agent/src/identity/sequenceStore';
import { createSimulation } from '../../agent/src/simulate/createSimulation';
import { loadSecurityConfig } from '../../security/src/config';
import { runSecurity, type RunningSecurity, type RunSecurityParameters } from '../../security/src/runSecurity';
import { startServices, type RunningServices } from '../../system/startServices';
import {
  listSecurityDeviceStates,
  listSecurityHandled,
  listSecurityWatched,
  saveSecurityHandled,
  readSecuritySequences,
  type Store,
} from '../../store/src';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { eventually } from '../api/apiHarness';
import { brokerLogin } from '../helpers/brokerLogin';
import { freePort } from '../helpers/brokers';
import { createTestDatabase } from '../helpers/store';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';

const SEED = 'security-restart';
/** A second security entity's account (not in the cast): notify-only, on the same store. */
const WATCHER = 9;
const RATE = 4;

describe('the security service restarted on the same store: no re-learning, its alert and watched twin kept', function () {
  this.timeout(240_000);
  let harness: OracleHarness;
  let services: RunningServices;
  let store: Store;
  let deviceId: Hex;
  let phase: 'normal' | 'attack' = 'normal';
  let publishing: NodeJS.Timeout | undefined;
  let publisher: MqttClient | undefined;
  const running: RunningSecurity[] = [];
  let suspender: RunSecurityParameters;
  let notifier: RunSecurityParameters;
  let channel: DeviceChannel;
  let lastBody: unknown;

  /** A security service (stopped by `after` unless the test stops it). */
  async function start(parameters: RunSecurityParameters): Promise<RunningSecurity> {
    const security = await runSecurity(parameters);
    running.push(security);
    return security;
  }
  const stopped = async (security: RunningSecurity) => {
    running.splice(running.indexOf(security), 1);
    await security.stop();
  };
  const configOf = (key: string, environment: Record<string, string>) =>
    loadSecurityConfig({
      environment: {
        RPC_URL: harness.node.url,
        MQTT_URL: services.mqttUrl,
        SECURITY_SECURITY_KEY: key,
        SECURITY_DEPLOYMENT_FILE: harness.deploymentFile,
        SECURITY_WARMUP_SECONDS: '10',
        SECURITY_WARMUP_SAMPLES: '40',
        // Longer than the restart: the alert stays open across it.
        SECURITY_QUIET_SECONDS: '20',
        SECURITY_REACTIVATE_AFTER_SECONDS: '4',
        SECURITY_REVIEW_INTERVAL_MS: '500',
        SECURITY_STATE_SAVE_INTERVAL_MS: '500',
        SECURITY_DATA_DIR: join(harness.directory, `security-${key.slice(2, 8)}`),
        ...environment,
      },
    });

  before(async function () {
    harness = await startOracleHarness(SEED, 1);
    deviceId = harness.devices[0]!.deviceId as Hex;
    const manufacturer = harness.node.wallet(CAST.manufacturer);
    await mined(
      harness.registry.twins
        .connect(manufacturer)
        ['safeTransferFrom(address,address,uint256)'](
          manufacturer.address,
          harness.node.wallet(CAST.alice).address,
          deviceId,
        ),
    );
    const watcher = harness.node.wallet(WATCHER);
    await mined(harness.registry.entities.connect(watcher).register(3, 'Notify-only SOC', ZeroHash, ''));
    await mined(harness.registry.entities.approve(watcher.address));
    // One shared index (a database of the test server) for the oracle, the API and the security services.
    store = await (await createTestDatabase()).open();
    services = await startServices({
      rpcUrl: harness.node.url,
      deploymentFile: harness.deploymentFile,
      oracleKey: harness.node.wallet(CAST.oracle).privateKey,
      dataDir: join(harness.directory, 'system'),
      index: store,
      brokerPort: await freePort(),
      apiPort: 0,
      environment: { ORACLE_BATCH_SIZE: '16', ORACLE_BATCH_AGE_MS: '500' },
    });
    const shared = { store: services.oracle.store };
    suspender = {
      config: configOf(harness.node.wallet(CAST.security).privateKey, { SECURITY_SUSPEND_SCORE: '0.5' }),
      shared,
      state: { store },
    };
    notifier = { config: configOf(watcher.privateKey, { SECURITY_POLICY: 'notify' }), shared, state: { store } };

    // The device: normal, then flooding connections (one episode as long as the run).
    const startMs = Date.now();
    const options = {
      devices: 1,
      ratePerSecond: RATE,
      snapshotIntervalSeconds: 3_600,
      seed: SEED,
      startTimeMs: startMs,
    };
    const normal = createSimulation({ ...options, scenario: 'normal' });
    const attack = createSimulation({
      ...options,
      scenario: 'connection-flood',
      episodes: { periodSeconds: 3_600, minSeconds: 3_600, maxSeconds: 3_600 },
    });
    const device = normal.devices[0]!;
    channel = new DeviceChannel({
      deviceId,
      key: device.privateKey,
      sequence: new SequenceStore(join(harness.directory, 'device-seq'), 1_000),
    });
    publisher = connect(
      services.mqttUrl,
      brokerLogin(harness.deploymentFile, { kind: 'device', id: deviceId }, device.privateKey),
    );
    await new Promise<void>((resolve) => publisher!.once('connect', () => resolve()));
    publishing = setInterval(() => {
      const at = Date.now();
      const fromNormal = normal.step(at);
      const fromAttack = attack.step(at);
      for (const message of phase === 'attack' ? fromAttack : fromNormal) {
        if (message.kind !== 'telemetry') continue;
        lastBody = message.body;
        publisher!.publish(
          deviceTopic(deviceId, 'telemetry'),
          JSON.stringify(channel.message('telemetry', message.body)),
          {
            qos: 1,
          },
        );
      }
    }, 250);
  });

  after(async function () {
    if (publishing) clearInterval(publishing);
    for (const security of running.splice(0)) await security.stop().catch(() => undefined);
    await publisher?.endAsync();
    await services?.stop();
    await harness?.stop();
  });

  it('restores the warmed-up baseline, the open alert and the suspended twin it watches; detects on at once', async function () {
    let first = await start(suspender);
    // The notify-only entity starts later: its own baseline, learned from fewer messages.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    let other = await start(notifier);
    await eventually(
      async () => [first.analyzer.statusOf(deviceId), other.analyzer.statusOf(deviceId)],
      (statuses) => statuses.every((status) => status.warmedUp),
      40_000,
      'the warm-up of both',
    );
    phase = 'attack';
    await eventually(
      async () => ({ watching: first.watching(), alerts: other.stats().alerts }),
      ({ watching, alerts }) => watching.includes(deviceId) && alerts > 0,
      40_000,
      'the suspension and the notify-only alert',
    );
    const [alert] = first.analyzer.openAlerts();
    expect(alert).to.include({ deviceId, behaviour: 'connection-flood', closedAtMs: null });
    expect(first.stats()).to.include({ alerts: 1, suspensions: 1 });

    // Stopped mid-attack: the last state saved at stop.
    await stopped(first);
    const saved = first.analyzer.exportDevice(deviceId)!;
    const seenMs = first.analyzer.statusOf(deviceId).lastSeenMs!;
    const address = harness.node.wallet(CAST.security).address;
    expect((await listSecurityDeviceStates(store, address)).map((row) => [row.deviceId, row.state])).to.deep.equal([
      [deviceId, saved],
    ]);
    const handled = await listSecurityHandled(store, address);
    expect(handled.map((row) => row.alertId)).to.deep.equal([alert!.id]);
    expect(handled[0]!.record).to.deep.include({ action: 'suspended' });
    expect(await listSecurityWatched(store, address)).to.have.length(1);

    // A row of an alert no longer open (e.g. closed before a failed save) is dropped at load.
    const stale = `${deviceId}/beaconing/1`;
    await saveSecurityHandled(store, address, [{ ...handled[0]!, alertId: stale }]);
    // A new service on the same store: the device's state exactly as saved, warmed up, the alert open, the twin watched.
    first = await start(suspender);
    expect(first.analyzer.exportDevice(deviceId)).to.deep.equal(saved);
    const status = first.analyzer.statusOf(deviceId);
    expect(status).to.include({ known: true, warmedUp: true, anomalous: true, lastSeenMs: seenMs });
    expect(first.analyzer.openAlerts().map((open) => open.id)).to.deep.equal([alert!.id]);
    expect(first.watching()).to.deep.equal([deviceId]);
    // The next abnormal messages update the same alert (no new alert, no second suspension, no warm-up).
    await eventually(
      async () => first.analyzer.openAlerts()[0],
      (open) =>
        open !== undefined && open.lastSeq > alert!.lastSeq && first.analyzer.statusOf(deviceId).lastSeenMs! > seenMs,
      20_000,
      'detections after the restart',
    );
    expect(first.analyzer.openAlerts().map((open) => open.id)).to.deep.equal([alert!.id]);
    expect(first.analyzer.statusOf(deviceId).warmedUp).to.equal(true);
    expect(first.stats()).to.include({ alerts: 0, suspensions: 0 });
    await first.saveState();
    expect((await listSecurityHandled(store, address)).map((row) => row.alertId)).to.deep.equal([alert!.id]);

    // The notify-only entity's state is its own: another baseline, its alert notified, no twin watched.
    await stopped(other);
    const otherSaved = other.analyzer.exportDevice(deviceId)!;
    const rows = await listSecurityDeviceStates(store, other.address);
    expect(rows.map((row) => row.state)).to.deep.equal([otherSaved]);
    expect(otherSaved).to.not.deep.equal(saved);
    expect((await listSecurityHandled(store, other.address)).map((row) => row.record)).to.satisfy(
      (records: unknown[]) => records.every((record) => (record as { action: string }).action === 'notified'),
    );
    expect(await listSecurityWatched(store, other.address)).to.deep.equal([]);
    other = await start(notifier);
    expect(other.analyzer.exportDevice(deviceId)).to.deep.equal(otherSaved);
    expect(other.watching()).to.deep.equal([]);
    await stopped(other);

    // The watched twin: reactivated after the owner's review, the report naming the alert of the first run.
    const alice = harness.registry.twins.connect(harness.node.wallet(CAST.alice));
    await mined(alice.recordUpdate(deviceId, 'firmware', '2.0.1', `0x${'ab'.repeat(32)}`, 'bafkrei-firmware'));
    await mined(alice.requestReview(deviceId, 'firmware 2.0.1 closes the flood'));
    phase = 'normal';
    await eventually(
      async () => first.stats().reactivations,
      (count) => count === 1,
      90_000,
      'the reactivation',
    );
    const events = await harness.registry.twins.queryFilter(harness.registry.twins.filters.TwinStateChanged(deviceId));
    const reason = events.at(-1)!.args.reason;
    const report = JSON.parse(Buffer.from(await services.oracle.store.get(reason)).toString('utf8'));
    expect(report).to.deep.include({ kind: 'security-recovery', deviceId });
    expect(report.suspendedBy.alertId).to.equal(alert!.id);
    expect(first.watching()).to.deep.equal([]);
    await first.saveState();
    expect(await listSecurityWatched(store, address)).to.deep.equal([]);
  });

  it('a message one instance accepted is a replay to a restarted service and to another instance of the entity', async function () {
    clearInterval(publishing);
    publishing = undefined;
    const address = harness.node.wallet(CAST.security).address;
    const first = running.find((security) => security.address === address)!;
    /** Publishes fresh messages until `security` receives them (its subscription is made after it starts). */
    const subscribed = async (security: RunningSecurity) => {
      await eventually(
        async () => {
          const payload = JSON.stringify(channel.message('telemetry', lastBody as never));
          await publisher!.publishAsync(deviceTopic(deviceId, 'telemetry'), payload, { qos: 1 });
          await new Promise((resolve) => setTimeout(resolve, 200));
          return security.stats().messages;
        },
        (messages) => messages > 0,
        20_000,
        'the new instance to receive messages',
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // the probes judged and claimed
    };
    const second = await start(suspender); // another instance of the same entity, on the same store
    await subscribed(second);
    const instances = [first, second];
    const counts = () => instances.map((security) => ({ ...security.stats() }));
    const publishOnce = async (payload: string) => {
      const before = counts();
      await publisher!.publishAsync(deviceTopic(deviceId, 'telemetry'), payload, { qos: 1 });
      await eventually(
        async () => counts(),
        (now) => now.every((stats, n) => stats.messages === before[n]!.messages + 1),
        10_000,
        'both instances to receive the message',
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // judged and claimed
      return counts().map((stats, n) => ({
        accepted: stats.messages - stats.rejected - (before[n]!.messages - before[n]!.rejected),
        rejected: stats.rejected - before[n]!.rejected,
      }));
    };
    const message = channel.message('telemetry', lastBody as never);
    const payload = JSON.stringify(message);
    // Both receive it; the store's ledger lets exactly one of them accept it.
    const fresh = await publishOnce(payload);
    expect(fresh.map((result) => result.accepted).sort()).to.deep.equal([0, 1]);
    expect((await readSecuritySequences(store, address, [deviceId])).get(`${deviceId}:telemetry`)).to.equal(
      message.seq,
    );
    // Sent again (a replay): refused by both, the one that accepted it and the one that never did.
    const replayed = await publishOnce(payload);
    expect(replayed).to.deep.equal([
      { accepted: 0, rejected: 1 },
      { accepted: 0, rejected: 1 },
    ]);
    // A restarted instance refuses it too: it never saw the message, the store remembers.
    await stopped(second);
    const restarted = await start(suspender);
    await subscribed(restarted);
    instances[1] = restarted;
    const again = await publishOnce(payload);
    expect(again).to.deep.equal([
      { accepted: 0, rejected: 1 },
      { accepted: 0, rejected: 1 },
    ]);
  });
});
