import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { loadOracleConfig } from '../../oracle/src/config';
import {
  getBatch,
  getSnapshot,
  latestTelemetry,
  listBatches,
  listTelemetryBatches,
  pageRejections,
  readEvents,
} from '../../store/src';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';
import { DeviceChannel } from '../../agent/src/device/deviceChannel';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';
import { telemetryBody } from '../agent/transport/publisherBehaviour';
import { CAST, mined, type NodeRegistry } from './chain/deployOnNode';
import type { HardhatNode } from './chain/hardhatNode';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { waitFor } from './waitFor';
import {
  notificationMessageSchema,
  twinRecordMessageSchema,
  verifyOracleMessage,
} from '../../twin-core/src/messages/oracleMessage';
import { createOracleSigner } from '../../oracle/src/publish/oracleSigner';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { canonicalMessage } from '../../twin-core/src/signing/messageSignature';

const SEED = 'oracle-e2e';
const DEVICES = 4;

describe('The oracle end to end (Hardhat node over JSON-RPC, aedes, Helia, simulated devices)', function () {
  this.timeout(180_000);
  let harness: OracleHarness;
  let node: HardhatNode;
  let registry: NodeRegistry;
  let broker: AedesBroker;
  let oracle: RunningOracle | undefined;
  let producedSnapshots = 0;

  before(async function () {
    harness = await startOracleHarness(SEED, DEVICES);
    ({ node, registry } = harness);
    broker = await startAedes();
  });

  after(async function () {
    await oracle?.stop().catch(() => undefined);
    await broker?.stop();
    await harness?.stop();
  });

  it('anchors every snapshot the devices publish, and each proof verifies on chain', async function () {
    const config = loadOracleConfig({
      environment: harness.oracleEnvironment(broker.url, {
        ORACLE_MQTT_PROTOCOL_VERSION: '4',
        ORACLE_MQTT_SHARED: 'false',
      }),
    });
    oracle = await runOracle(
      config,
      (level, message, fields) => process.env.ORACLE_TEST_LOG && console.log(level, message, JSON.stringify(fields)),
      { index: harness.index },
    );
    expect(oracle.index).to.equal(harness.index);
    await new Promise((resolve) => setTimeout(resolve, 300));

    producedSnapshots = await harness.publishFromDevices(broker.url, 3);
    expect(producedSnapshots).to.be.greaterThanOrEqual(DEVICES * 2);

    await waitUntil(() => oracle!.stats().anchoredSnapshots >= producedSnapshots, 60_000, 'every snapshot anchored');
    const stats = oracle.stats();
    expect(stats.accepted).to.be.greaterThanOrEqual(producedSnapshots);
    expect(
      Object.values(stats.rejections).reduce((sum, count) => sum + count, 0),
      JSON.stringify(stats.rejections),
    ).to.equal(0);

    const index = harness.index;
    const rows = await harness.anchoredSnapshots();
    expect(rows).to.have.length(producedSnapshots);
    for (const row of rows) {
      expect(row.status).to.equal('confirmed');
      expect(await registry.anchor.verifySnapshot(row.root!, row.proof!, row.deviceId, row.seq, row.hash)).to.equal(
        true,
      );
    }
    const [first] = rows;
    const tampered = `0x${(BigInt(first!.hash) ^ 1n).toString(16).padStart(64, '0')}`;
    expect(
      await registry.anchor.verifySnapshot(first!.root!, first!.proof!, first!.deviceId, first!.seq, tampered),
    ).to.equal(false);
    const confirmed = await listBatches(index, { status: 'confirmed', limit: 1_000 });
    expect(Number(await registry.anchor.batchCount())).to.equal(confirmed.length);
    expect((await getBatch(index, confirmed[0]!.id))?.root).to.equal(confirmed[0]!.root);
    // The outbox: one snapshot event per snapshot (ids only), one anchored event per batch.
    const { events } = await readEvents(index, { after: 0, limit: 10_000 });
    const snapshotEvents = events.filter((event) => event.kind === 'snapshot');
    expect(
      snapshotEvents.map((event) => `${event.deviceId}:${(event.payload as { seq: number }).seq}`).sort(),
    ).to.deep.equal(rows.map((row) => `${row.deviceId}:${row.seq}`).sort());
    // Each confirmed batch announced (by the anchorer, the chain mirror, or both: whoever confirms it).
    const anchoredEvents = events.filter((event) => event.kind === 'anchored');
    const announced = new Set(anchoredEvents.map((event) => (event.payload as { batchId: number }).batchId));
    expect([...announced].sort((x, y) => x - y)).to.deep.equal(
      confirmed.map((batch) => batch.id).sort((x, y) => x - y),
    );
  });

  it('stores telemetry on IPFS in batches and keeps each device latest reading', async function () {
    await waitUntil(() => oracle!.stats().telemetryBatches >= 1, 20_000, 'a telemetry batch');
    const index = harness.index;
    const batches = await listTelemetryBatches(index);
    expect(batches.length).to.be.greaterThan(0);
    expect(batches[0]!.cid).to.match(/^bafk/);
    const { events } = await readEvents(index, { after: 0, limit: 10_000 });
    for (const device of harness.devices) {
      const latest = await latestTelemetry(index, device.deviceId);
      expect(latest?.batchCid).to.be.a('string');
      expect((latest!.body as { network: unknown }).network).to.be.an('object');
      // Its telemetry events (one per device per batch, its highest number): the last is the latest reading.
      const telemetry = events.filter((event) => event.kind === 'telemetry' && event.deviceId === device.deviceId);
      expect(telemetry.length).to.be.greaterThan(0);
      expect((telemetry.at(-1)!.payload as { seq: number }).seq).to.equal(latest!.seq);
    }
  });

  it('notifies the owner with a notification signed by an ORACLE_ROLE key, and a forged one is detectable', async function () {
    const deviceId = harness.devices[0]!.deviceId;
    const owner = connect(broker.url);
    const received: string[] = [];
    owner.on('message', (_topic, payload) => received.push(payload.toString()));
    await new Promise<void>((resolve) =>
      owner.once('connect', () => owner.subscribe(deviceTopic(deviceId, 'notifications'), { qos: 1 }, () => resolve())),
    );
    await mined(registry.twins.connect(node.wallet(CAST.security)).setState(deviceId, 1, 'bafy-evidence'));
    await waitUntil(() => received.length > 0, 20_000, 'the notification');
    // How a subscriber verifies it (the spec says so): the signer must hold ORACLE_ROLE on chain.
    const oracleRole = await registry.entities.ORACLE_ROLE();
    const isOracle = (address: Hex) => registry.entities.hasRole(oracleRole, address);
    const verdict = await verifyOracleMessage(received[0]!, notificationMessageSchema, isOracle);
    expect(verdict.ok, JSON.stringify(verdict)).to.equal(true);
    const notification = verdict.ok ? verdict.message : undefined;
    expect(notification!.body).to.deep.include({ name: 'TwinStateChanged', newState: 'suspended' });
    expect(JSON.stringify(notification)).to.contain('bafy-evidence');
    expect(notification!.deviceId).to.equal(deviceId);

    // A forger on the broker: its own key, or the oracle's signature over other words.
    const forged = createOracleSigner(generatePrivateKey()).notification(
      deviceId as Hex,
      {
        ...notification!.body,
        reason: 'call +1-555-0100',
      } as never,
    );
    const forgedVerdict = await verifyOracleMessage(JSON.stringify(forged), notificationMessageSchema, isOracle);
    expect(forgedVerdict).to.deep.include({ ok: false, reason: 'not-an-oracle' });
    const tampered = { ...notification!, body: { ...notification!.body, reason: 'call +1-555-0100' } };
    const tamperedVerdict = await verifyOracleMessage(JSON.stringify(tampered), notificationMessageSchema, isOracle);
    expect(tamperedVerdict.ok).to.equal(false);
    await owner.endAsync();
  });

  it('publishes each twin record retained, signed by an oracle key, with its owner and the registry', async function () {
    const deviceId = harness.devices[1]!.deviceId;
    const subscriber = connect(broker.url);
    const records: string[] = [];
    subscriber.on('message', (_topic, payload) => records.push(payload.toString()));
    await new Promise((resolve) => subscriber.once('connect', resolve));
    await subscriber.subscribeAsync(deviceTopic(deviceId, 'twin'), { qos: 1 });
    await waitUntil(() => records.length > 0, 10_000, 'the retained twin record');
    const oracleAddress = node.wallet(CAST.oracle).address.toLowerCase();
    const verdict = await verifyOracleMessage(
      records[0]!,
      twinRecordMessageSchema,
      (a) => a.toLowerCase() === oracleAddress,
    );
    expect(verdict.ok, JSON.stringify(verdict)).to.equal(true);
    const body = verdict.ok ? verdict.message.body : undefined;
    expect(body!.registry.toLowerCase()).to.equal(registry.deployment.contracts.TwinRegistry.toLowerCase());
    expect(body!.owner.toLowerCase()).to.equal((await registry.twins.ownerOf(deviceId)).toLowerCase());
    await subscriber.endAsync();
  });

  it('rejects and counts forged, malformed, wrong-schema and oversize messages, and keeps running', async function () {
    const before = oracle!.stats();
    const intruder = connect(broker.url);
    await new Promise((resolve) => intruder.once('connect', resolve));
    const deviceId = harness.devices[0]!.deviceId;
    const topic = deviceTopic(deviceId, 'telemetry');
    intruder.publish(topic, 'not json at all', { qos: 1 });
    intruder.publish(topic, JSON.stringify({ v: 1, kind: 'telemetry', deviceId }), { qos: 1 });
    intruder.publish(topic, Buffer.alloc(1_048_577, 0x20), { qos: 1 });
    // A forged message: right device and topic, signed by a key that is not the twin's device signer.
    const forger = new DeviceChannel({ deviceId, key: generatePrivateKey(), sequence: { next: () => 1e9 } });
    intruder.publish(topic, forger.entry('telemetry', telemetryBody(1)).payload, { qos: 1 });
    // A genuine telemetry message the oracle already accepted, sent again as it was: an identical copy (what a
    // redelivery is), completed as a duplicate, nothing indexed.
    const genuine = broker.received.find((packet) => packet.topic === topic)!;
    intruder.publish(topic, genuine.payload, { qos: 1 });
    // A replay: another message of the device under that accepted number.
    const { seq } = JSON.parse(genuine.payload.toString()) as { seq: number };
    const device = harness.devices[0]!;
    const again = new DeviceChannel({ deviceId, key: device.privateKey, sequence: { next: () => seq } });
    intruder.publish(topic, again.entry('telemetry', telemetryBody(77)).payload, { qos: 1 });
    await waitUntil(() => oracle!.stats().received >= before.received + 6, 20_000, 'the bad messages');
    await waitUntil(
      () => {
        const now = oracle!.stats().rejections;
        return (
          now['not-json'] >= 1 &&
          now['invalid-schema'] >= 1 &&
          now.oversize >= 1 &&
          now['wrong-signer'] >= 1 &&
          now.replay >= 1 &&
          oracle!.stats().duplicates >= before.duplicates + 1
        );
      },
      10_000,
      'the rejections to be counted',
    );
    expect(oracle!.stats().accepted).to.equal(before.accepted);
    expect(oracle!.stats().duplicates).to.equal(before.duplicates + 1);
    expect(oracle!.stats().rejections.replay).to.equal((before.rejections.replay ?? 0) + 1);
    await intruder.endAsync();
  });

  it('refuses a snapshot with an unsigned extra field, naming it, and stores the signed one as its exact canonical bytes', async function () {
    const device = harness.devices[2]!;
    const topic = deviceTopic(device.deviceId, 'snapshot');
    const { body } = JSON.parse(broker.received.find((packet) => packet.topic === topic)!.payload.toString());
    const seq = 2_000_000_000;
    const signed = new DeviceChannel({
      deviceId: device.deviceId,
      key: device.privateKey,
      sequence: { next: () => seq },
    }).entry('snapshot', body);
    // The attack of the issue: a genuine signed snapshot, republished with a field its device never signed.
    const tampered = JSON.parse(signed.payload) as { body: Record<string, unknown> };
    tampered.body.notice = 'your device is suspended, call +1-555-0100';
    const before = oracle!.stats();
    const intruder = connect(broker.url);
    await new Promise((resolve) => intruder.once('connect', resolve));
    try {
      await intruder.publishAsync(topic, JSON.stringify(tampered), { qos: 1 });
      await waitUntil(
        () => oracle!.stats().rejections['invalid-schema'] > before.rejections['invalid-schema'],
        20_000,
        'the tampered snapshot refused',
      );
      // Counted at once, recorded in the index just after (its own write).
      const recorded = () =>
        pageRejections(oracle!.index, { reason: 'invalid-schema', deviceId: device.deviceId, limit: 1 });
      await waitFor(async () => (await recorded()).length > 0, 10_000, 'the refusal recorded');
      const [refusal] = await recorded();
      expect(refusal!.detail).to.match(/^body: Unrecognized key: "notice"/);
      expect(oracle!.stats().accepted).to.equal(before.accepted);
      // The message as its device signed it is accepted; what is stored (its CID) is its RFC 8785 form, whose hash
      // is the anchored one.
      await intruder.publishAsync(topic, signed.payload, { qos: 1 });
      const row = async () => {
        const snapshot = await getSnapshot(oracle!.index, device.deviceId, seq);
        return snapshot === undefined ? undefined : { hash: snapshot.hash, cid: snapshot.cid };
      };
      await waitFor(async () => (await row()) !== undefined, 20_000, 'the signed snapshot indexed');
      const { stored, hash } = canonicalMessage(JSON.parse(signed.payload));
      expect(await row()).to.deep.equal({ hash, cid: rawCidV1(new TextEncoder().encode(stored)) });
      expect(stored).to.not.contain('notice');
    } finally {
      await intruder.endAsync();
    }
  });

  it('remembers the sequence numbers it accepted across a restart: a copy after it is a duplicate, a replay still refused', async function () {
    await oracle!.stop();
    const config = loadOracleConfig({
      environment: harness.oracleEnvironment(broker.url, {
        ORACLE_MQTT_PROTOCOL_VERSION: '4',
        ORACLE_MQTT_SHARED: 'false',
      }),
    });
    oracle = await runOracle(config, undefined, { index: harness.index });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const topic = deviceTopic(harness.devices[1]!.deviceId, 'telemetry');
    const genuine = broker.received.find((packet) => packet.topic === topic)!;
    const intruder = connect(broker.url);
    await new Promise((resolve) => intruder.once('connect', resolve));
    // The same bytes: the restarted instance finds this very reading in the index (it remembers nothing of its own).
    intruder.publish(topic, genuine.payload, { qos: 1 });
    await waitUntil(() => oracle!.stats().duplicates >= 1, 20_000, 'the copy completed after the restart');
    // Another message of the device under that number: a replay.
    const { seq } = JSON.parse(genuine.payload.toString()) as { seq: number };
    const again = new DeviceChannel({
      deviceId: harness.devices[1]!.deviceId,
      key: harness.devices[1]!.privateKey,
      sequence: { next: () => seq },
    });
    intruder.publish(topic, again.entry('telemetry', telemetryBody(78)).payload, { qos: 1 });
    await waitUntil(() => oracle!.stats().rejections.replay >= 1, 20_000, 'the replay to be refused after the restart');
    expect(oracle!.stats().accepted).to.equal(0);
    // What the broker delivers again after the restart (unacknowledged at the stop) are copies too, not replays.
    expect(oracle!.stats().rejections.replay).to.equal(1);
    await intruder.endAsync();
  });
  it('without a store given nor DATABASE_URL, runs on the embedded PostgreSQL under its data directory, stopped with it', async function () {
    this.timeout(120_000);
    await oracle!.stop();
    oracle = undefined;
    if (process.env.DATABASE_URL !== undefined) this.skip(); // the environment names a server: that one is used
    const dataDir = join(harness.directory, 'oracle-embedded');
    const config = loadOracleConfig({
      environment: harness.oracleEnvironment(broker.url, {
        ORACLE_MQTT_PROTOCOL_VERSION: '4',
        ORACLE_MQTT_SHARED: 'false',
        ORACLE_DATA_DIR: dataDir,
        ORACLE_MQTT_CLIENT_ID: 'twin-oracle-embedded-index',
      }),
    });
    const own = await runOracle(config);
    try {
      const { rows } = await own.index.query<{ n: number }>('SELECT count(*)::int AS n FROM snapshots');
      expect(rows[0]!.n).to.equal(0); // a database of its own, not the harness's
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).to.equal(true);
    } finally {
      await own.stop();
    }
    // Closed at stop: the embedded server is down.
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).to.equal(false);
  });
});
