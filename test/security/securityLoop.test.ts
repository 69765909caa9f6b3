import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { DeviceChannel } from '../../agent/src/device/deviceChannel';
import { SequenceStore } from '../../agent/src/identity/sequenceStore';
import { createSimulation, type Simulation } from '../../agent/src/simulate/createSimulation';
import { id, ZeroHash } from 'ethers';
import { API_ROLE_NAME } from '../../twin-core/src/broker/principal';
import { brokerLogin } from '../helpers/brokerLogin';
import { loadSecurityConfig } from '../../security/src/config';
import { runSecurity, type RunningSecurity } from '../../security/src/runSecurity';
import { startServices, type RunningServices } from '../../system/startServices';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { eventually } from '../api/apiHarness';
import type { HeliaBlobStore } from '../../blobs/src';
import { writeSwarmKey } from '../blobs/networkNodes';
import { freePort } from '../helpers/brokers';
import { createTestDatabase } from '../helpers/store';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { notificationMessageSchema } from '../../twin-core/src/messages/oracleMessage';

const SEED = 'security-loop';
/** A second security entity's account (not in the cast). */
const WATCHER = 9;
/** Reads the owner notifications as an API instance. */
const READER = 10;
const RATE = 4;

describe("the security entity's loop on a local chain: anomaly, alert, suspension, notification, review, reactivation", function () {
  this.timeout(180_000);
  let harness: OracleHarness;
  let services: RunningServices;
  let api: string;
  let owner: MqttClient;
  const ownerMessages: { kind: string; body?: { kind?: string; name?: string }; [key: string]: unknown }[] = [];
  let deviceId: Hex;
  let phase: 'normal' | 'attack' = 'normal';
  let publishing: NodeJS.Timeout | undefined;
  let notifier: RunningSecurity | undefined;

  let alice: TestSession | undefined;
  /** Reads the API as Alice, the twin's owner: notifications are private (issue 14). */
  const get = async (path: string) => {
    alice ??= await signInSession(api, harness.node.wallet(CAST.alice));
    return (await fetch(`${api}${path}`, { headers: alice.headers })).json() as Promise<any>;
  };

  before(async function () {
    harness = await startOracleHarness(SEED, 1);
    deviceId = harness.devices[0]!.deviceId as Hex;
    const manufacturer = harness.registry.twins.connect(harness.node.wallet(CAST.manufacturer));
    await mined(
      manufacturer['safeTransferFrom(address,address,uint256)'](
        harness.node.wallet(CAST.manufacturer).address,
        harness.node.wallet(CAST.alice).address,
        deviceId,
      ),
    );
    // The oracle's embedded IPFS node on a private network, so that a security service running alone can join it.
    const swarmKey = writeSwarmKey(harness.directory);
    services = await startServices({
      rpcUrl: harness.node.url,
      deploymentFile: harness.deploymentFile,
      oracleKey: harness.node.wallet(CAST.oracle).privateKey,
      dataDir: join(harness.directory, 'system'),
      brokerPort: await freePort(),
      apiPort: 0,
      // One shared index for every service (a database of the test server): real PostgreSQL, as `npm start` runs it;
      // the security service keeps its state there.
      index: await (await createTestDatabase()).open(),
      security: { key: harness.node.wallet(CAST.security).privateKey },
      environment: {
        IPFS_SWARM_KEY_FILE: swarmKey,
        ORACLE_IPFS_LISTEN: `/ip4/127.0.0.1/tcp/${await freePort()}`,
        ORACLE_BATCH_SIZE: '16',
        ORACLE_BATCH_AGE_MS: '500',
        API_FEED_INTERVAL_MS: '100',
        SECURITY_WARMUP_SECONDS: '10',
        SECURITY_WARMUP_SAMPLES: '40',
        SECURITY_QUIET_SECONDS: '4',
        SECURITY_REACTIVATE_AFTER_SECONDS: '4',
        SECURITY_REVIEW_INTERVAL_MS: '500',
        SECURITY_SUSPEND_SCORE: '0.5',
      },
    });
    api = `${services.api.url}/api/v1`;
    // A second security entity watching the same devices under the notify-only policy, running alone: its evidence
    // goes to its own IPFS node, which joins the oracle's over the private network (no Kubo, no shared store).
    const watcher = harness.node.wallet(WATCHER);
    await mined(harness.registry.entities.connect(watcher).register(3, 'Notify-only SOC', ZeroHash, ''));
    await mined(harness.registry.entities.approve(watcher.address));
    notifier = await runSecurity({
      config: loadSecurityConfig({
        environment: {
          RPC_URL: harness.node.url,
          MQTT_URL: services.mqttUrl,
          SECURITY_SECURITY_KEY: watcher.privateKey,
          SECURITY_DEPLOYMENT_FILE: harness.deploymentFile,
          SECURITY_POLICY: 'notify',
          SECURITY_WARMUP_SECONDS: '10',
          SECURITY_WARMUP_SAMPLES: '40',
          SECURITY_QUIET_SECONDS: '4',
          SECURITY_DATA_DIR: join(harness.directory, 'notifier'),
          IPFS_SWARM_KEY_FILE: swarmKey,
          IPFS_PEERS: (services.oracle.store as HeliaBlobStore).networkStatus()!.listening[0],
          SECURITY_IPFS_LISTEN: 'none',
        },
      }),
    });
    // The notifications reader logs in as an API instance (API_ROLE): owners read theirs through the API.
    const reader = harness.node.wallet(READER);
    await mined(harness.registry.entities.grantRole(id(API_ROLE_NAME), reader.address));
    owner = connect(
      services.mqttUrl,
      brokerLogin(harness.deploymentFile, { kind: 'api', id: reader.address }, reader.privateKey),
    );
    owner.on('message', (_topic, payload) => ownerMessages.push(JSON.parse(payload.toString())));
    await owner.subscribeAsync(deviceTopic(deviceId, 'notifications'), { qos: 1 });

    // The device: its normal behaviour, and the same device flooding connections (one episode as long as the run).
    const start = Date.now();
    const options = { devices: 1, ratePerSecond: RATE, snapshotIntervalSeconds: 3_600, seed: SEED, startTimeMs: start };
    const normal: Simulation = createSimulation({ ...options, scenario: 'normal' });
    const attack: Simulation = createSimulation({
      ...options,
      scenario: 'connection-flood',
      episodes: { periodSeconds: 3_600, minSeconds: 3_600, maxSeconds: 3_600 },
    });
    const device = normal.devices[0]!;
    const channel = new DeviceChannel({
      deviceId,
      key: device.privateKey,
      sequence: new SequenceStore(join(harness.directory, 'device-seq'), 1_000),
    });
    const publisher = connect(
      services.mqttUrl,
      brokerLogin(harness.deploymentFile, { kind: 'device', id: deviceId }, device.privateKey),
    );
    await new Promise<void>((resolve) => publisher.once('connect', () => resolve()));
    publishing = setInterval(() => {
      const at = Date.now();
      const fromNormal = normal.step(at);
      const fromAttack = attack.step(at);
      for (const message of phase === 'attack' ? fromAttack : fromNormal) {
        if (message.kind !== 'telemetry') continue;
        const signed = channel.message('telemetry', message.body);
        publisher.publish(deviceTopic(deviceId, 'telemetry'), JSON.stringify(signed), { qos: 1 });
      }
    }, 250);
    publishing.unref();
    (this as unknown as { publisher: MqttClient }).publisher = publisher;
  });

  after(async function () {
    if (publishing) clearInterval(publishing);
    await notifier?.stop();
    await owner?.endAsync();
    await services?.stop();
    await harness?.stop();
  });

  it('learns the device, then an attack opens an alert, suspends the twin and notifies the owner', async function () {
    await eventually(
      async () => services.security!.analyzer.statusOf(deviceId),
      (status) => status.warmedUp,
      40_000,
      'the warm-up',
    );
    expect(services.security!.stats().alerts).to.equal(0);
    phase = 'attack';

    const twin = await eventually(
      () => get(`/twins/${deviceId}`),
      (view) => view.twin.state === 'suspended' && view.alerts.length > 0,
      40_000,
      'the suspension in the API',
    );
    const suspension = twin.stateHistory.at(-1);
    expect(suspension).to.include({
      previous: 'active',
      new: 'suspended',
      by: harness.node.wallet(CAST.security).address,
    });
    const alert = twin.alerts.find((item: { by: string }) => item.by === harness.node.wallet(CAST.security).address);
    expect(alert.behaviour).to.equal('connection-flood');
    expect(alert.action).to.equal('suspended');
    expect(alert.evidenceCid).to.equal(suspension.reason);
    // The evidence the reason names is on IPFS: the alert and the device's baseline.
    const evidence = JSON.parse(Buffer.from(await services.oracle.store.get(suspension.reason)).toString('utf8'));
    expect(evidence).to.include({ kind: 'security-evidence', deviceId });
    expect(evidence.alert.behaviour).to.equal('connection-flood');

    // The notify-only entity published its own alert about the same episode, and suspended nothing.
    const alerts = await eventually(
      () => get(`/twins/${deviceId}/alerts`),
      (page) => page.items.some((item: { by: string }) => item.by === harness.node.wallet(WATCHER).address),
      20_000,
      "the notify-only entity's alert",
    );
    const notified = alerts.items.find((item: { by: string }) => item.by === harness.node.wallet(WATCHER).address);
    expect(notified).to.include({ behaviour: 'connection-flood', action: 'notified', tx: null });
    expect(notifier!.stats().suspensions).to.equal(0);
    // Its evidence, added to its own node only, reaches the oracle's over the private network, verified.
    const remote = JSON.parse(Buffer.from(await services.oracle.store.get(notified.evidenceCid)).toString('utf8'));
    expect(remote).to.include({ kind: 'security-evidence', deviceId });

    const notifications = await eventually(
      () => get(`/owners/${harness.node.wallet(CAST.alice).address}/notifications`),
      (page) => page.items.some((item: { kind: string }) => item.kind === 'state-changed'),
      20_000,
      "the owner's notifications",
    );
    const kinds = notifications.items.map((item: { kind: string }) => item.kind);
    expect(kinds).to.include.members(['security-alert', 'state-changed']);
    await eventually(
      async () => ownerMessages.map((message) => message.body?.kind ?? message.body?.name),
      (seen) => seen.includes('security-alert') && seen.includes('TwinStateChanged'),
      20_000,
      'the MQTT notifications',
    );
    // Both kinds exactly as the spec (spec/asyncapi.json) describes them, in the oracle's signed envelope.
    for (const message of ownerMessages) notificationMessageSchema.parse(message);
  });

  it('stays suspended while the device misbehaves, even after the owner asks for a review', async function () {
    const alice = harness.registry.twins.connect(harness.node.wallet(CAST.alice));
    await mined(alice.recordUpdate(deviceId, 'firmware', '2.0.1', `0x${'ab'.repeat(32)}`, 'bafkrei-firmware'));
    await mined(alice.requestReview(deviceId, 'firmware 2.0.1 closes the flood'));
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await services.security!.reviewOnce();
    expect((await get(`/twins/${deviceId}`)).twin.state).to.equal('suspended');
    expect(services.security!.stats().reactivations).to.equal(0);
  });

  it('reactivates the twin once the device is back within its baseline, and every step is in the history', async function () {
    phase = 'normal';
    const twin = await eventually(
      () => get(`/twins/${deviceId}`),
      (view) => view.twin.state === 'active',
      60_000,
      'the reactivation in the API',
    );
    const states = twin.stateHistory.map(
      (change: { previous: string; new: string }) => `${change.previous}>${change.new}`,
    );
    expect(states).to.deep.equal(['active>suspended', 'suspended>active']);
    expect(twin.updates).to.have.length(1);
    const report = JSON.parse(
      Buffer.from(await services.oracle.store.get(twin.stateHistory[1].reason)).toString('utf8'),
    );
    expect(report).to.include({ kind: 'security-recovery', deviceId });
    const notifications = await eventually(
      () => get(`/owners/${harness.node.wallet(CAST.alice).address}/notifications`),
      (page) => page.items.filter((item: { kind: string }) => item.kind === 'state-changed').length === 2,
      20_000,
      'the reactivation notification',
    );
    expect(notifications.items.map((item: { kind: string }) => item.kind)).to.include('review-requested');
    const alerts = await get(`/twins/${deviceId}/alerts`);
    expect(alerts.items.some((item: { action: string }) => item.action === 'reactivated')).to.equal(true);
  });
});
