import { expect } from 'chai';
import type { AlertMessage } from '../../twin-core/src/messages/alert';
import {
  alertsOf,
  attachBatch,
  blobKindOf,
  createBatch,
  ensureTelemetryPartitions,
  expireDueCommands,
  fleetCounts,
  getAlert,
  getAnchoredBatch,
  getChainEventSummary,
  getEntity,
  getStateChange,
  getTwin,
  indexTotals,
  insertCommand,
  insertSnapshot,
  latestSnapshot,
  latestSnapshotsOf,
  latestTelemetry,
  latestTelemetryOf,
  listStateChanges,
  listTwinUpdates,
  markBatchConfirmed,
  openAlertsByDevice,
  readTwinView,
  readTwinViewPage,
  recordAlert,
  recordChainEvent,
  recordStateChange,
  recordTelemetryBatch,
  recordTwinUpdate,
  telemetryReadingsThrough,
  upsertEntity,
  upsertTwin,
  type Store,
  type TwinInput,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const MAKER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const SECURITY = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const TX = `0x${'12'.repeat(32)}`;
const HASH = `0x${'ab'.repeat(32)}`;
const T0 = Date.parse('2026-03-01T00:00:00Z');
/** Readings are kept in daily partitions around now (older ones fall outside the retention). */
const NOW = Date.now() - 60_000;
const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as `0x${string}`;

function twin(n: number, fields: Partial<TwinInput> = {}): TwinInput {
  return {
    deviceId: deviceIdOf(n),
    owner: ALICE,
    manufacturer: MAKER,
    deviceSigner: MAKER,
    state: 'active',
    forSale: false,
    price: 2n ** 70n + 1n,
    staticHash: HASH,
    staticCid: `bafy-static-${n}`,
    updateCount: 0,
    reviewRequested: false,
    mintedBlock: 100 + n,
    updatedBlock: 100 + n,
    ...fields,
  };
}

function alert(deviceId: string, alertId: string, status: 'open' | 'closed' = 'open'): AlertMessage {
  return {
    v: 1,
    kind: 'alert',
    deviceId,
    by: SECURITY,
    ts: '2026-03-01T00:00:10.000Z',
    body: {
      alertId,
      behaviour: 'connection-flood',
      score: 0.9,
      status,
      window: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T00:00:10.000Z' },
      evidenceCid: `bafy-evidence-${alertId}`,
      action: 'notified',
      tx: null,
    },
    sig: `0x${'11'.repeat(65)}`,
  };
}

describe('store: the API reads (apiReads)', function () {
  this.timeout(60_000);
  let store: Store;
  const entity = {
    entityId: 7,
    profileHash: HASH as `0x${string}`,
    registeredBlock: 3,
    updatedBlock: 3,
  };

  before(async function () {
    store = await (await createTestDatabase()).open();
    await upsertEntity(store, {
      ...entity,
      account: ALICE,
      role: 'owner',
      status: 'approved',
      name: 'Alice',
      profileCid: 'bafy-alice',
    });
    await upsertEntity(store, {
      ...entity,
      account: MAKER,
      role: 'manufacturer',
      status: 'approved',
      name: 'Maker',
      profileCid: 'bafy-maker',
    });
    await upsertTwin(store, twin(1, { forSale: true }));
    await upsertTwin(store, twin(2, { state: 'suspended', reviewRequested: true }));
    await upsertTwin(store, twin(3));
    // Device 1: two snapshots, the first anchored; readings; history; two alerts.
    await insertSnapshot(store, {
      deviceId: deviceIdOf(1),
      seq: 1,
      collectedAt: T0,
      hash: HASH,
      cid: 'bafy-snap-1',
      receivedAt: T0 + 100,
    });
    await insertSnapshot(store, {
      deviceId: deviceIdOf(1),
      seq: 2,
      collectedAt: T0 + 1000,
      hash: HASH,
      cid: 'bafy-snap-2',
      receivedAt: T0 + 1100,
    });
    await insertSnapshot(store, {
      deviceId: deviceIdOf(2),
      seq: 1,
      collectedAt: T0,
      hash: HASH,
      cid: 'bafy-snap-3',
      receivedAt: T0 + 200,
    });
    const batch = await createBatch(store, {
      root: `0x${'cd'.repeat(32)}`,
      manifestCid: 'bafy-manifest',
      leafCount: 2,
    });
    await attachBatch(store, batch.id, [
      { deviceId: deviceIdOf(1), seq: 1, leafIndex: 0, proof: [HASH] },
      { deviceId: deviceIdOf(2), seq: 1, leafIndex: 1, proof: [HASH] },
    ]);
    await markBatchConfirmed(store, batch.id, { txHash: TX, block: 50, gasUsed: 2n ** 60n, confirmedAt: T0 + 5_200 });
    await ensureTelemetryPartitions(store, NOW);
    await recordTelemetryBatch(store, {
      cid: 'bafy-telemetry-1',
      messages: [3, 4, 5].map((seq) => ({
        deviceId: deviceIdOf(1),
        seq,
        ts: NOW + seq * 1000,
        body: { cpuPercent: seq, label: { behaviour: 'idle', anomalous: false } },
      })),
    });
    await recordTwinUpdate(store, {
      deviceId: deviceIdOf(1),
      index: 1,
      component: 'openssl',
      version: '3.0.14',
      artifactHash: HASH,
      artifactCid: 'bafy-artifact',
      block: 110,
      tx: TX,
    });
    await recordStateChange(store, {
      deviceId: deviceIdOf(2),
      previous: 'active',
      new: 'suspended',
      by: SECURITY,
      reason: 'bafy-x',
      block: 111,
      logIndex: 2,
      tx: TX,
    });
    await recordAlert(store, alert(deviceIdOf(1), 'scan:1'), T0);
    await recordAlert(store, alert(deviceIdOf(1), 'scan:2'), T0 + 1);
    await recordAlert(store, alert(deviceIdOf(2), 'scan:3', 'open'), T0 + 2);
    await recordChainEvent(store, {
      block: 111,
      logIndex: 2,
      blockHash: HASH,
      tx: TX,
      contract: 'TwinRegistry',
      name: 'TwinStateChanged',
      subject: deviceIdOf(2),
      payload: {},
    });
  });

  it('readTwinView reads in one statement what the single reads give', async function () {
    const view = (await readTwinView(store, deviceIdOf(1), { alertLimit: 1 }))!;
    expect(view.twin).to.deep.equal(await getTwin(store, deviceIdOf(1)));
    expect(view.twin.price).to.equal(2n ** 70n + 1n); // no digit lost in JSON
    expect(view.latestSnapshot!.snapshot).to.deep.equal(await latestSnapshot(store, deviceIdOf(1)));
    expect(view.latestSnapshot!.batch).to.equal(null); // seq 2 is not batched
    expect(view.latestTelemetry).to.deep.equal(await latestTelemetry(store, deviceIdOf(1)));
    expect(view.updates).to.deep.equal(await listTwinUpdates(store, deviceIdOf(1)));
    expect(view.alerts).to.deep.equal(await alertsOf(store, deviceIdOf(1), 1));
    expect(view.alerts[0]!.alertId).to.equal('scan:2');
    expect(view.owner).to.deep.equal(await getEntity(store, ALICE));
    expect(view.manufacturer!.name).to.equal('Maker');

    const second = (await readTwinView(store, deviceIdOf(2)))!;
    expect(second.latestSnapshot!.batch!.status).to.equal('confirmed');
    expect(second.latestSnapshot!.batch!.gasUsed).to.equal(2n ** 60n);
    expect(second.stateHistory).to.deep.equal(await listStateChanges(store, deviceIdOf(2)));
    expect(second.latestTelemetry).to.equal(null);

    const bare = (await readTwinView(store, deviceIdOf(3)))!;
    expect([bare.latestSnapshot, bare.latestTelemetry, bare.updates, bare.alerts]).to.deep.equal([null, null, [], []]);
    expect(await readTwinView(store, deviceIdOf(99))).to.equal(undefined);
  });

  it('readTwinViewPage reads pages of twins in DeviceID order, each exactly what readTwinView gives', async function () {
    const { rows } = await store.query<{ id: string }>('SELECT device_id AS id FROM twins ORDER BY device_id');
    const ids = rows.map((row) => row.id);
    expect(ids.length).to.be.at.least(3);
    const seen: string[] = [];
    let page = await readTwinViewPage(store, { limit: 2, alertLimit: 1 });
    for (;;) {
      expect(page.views.size).to.be.at.most(2);
      for (const [key, view] of page.views) {
        seen.push(key);
        expect(view).to.deep.equal(await readTwinView(store, key, { alertLimit: 1 }));
      }
      if (page.next === undefined) break;
      page = await readTwinViewPage(store, {
        after: page.next.toUpperCase().replace('0X', '0x'),
        limit: 2,
        alertLimit: 1,
      });
    }
    expect(seen).to.deep.equal(ids);
    expect((await readTwinViewPage(store, { after: ids.at(-1)! })).views.size).to.equal(0);
    await readTwinViewPage(store, { limit: 0 }).then(
      () => expect.fail('a page of 0 twins was accepted'),
      (error: Error) => expect(error.message).to.match(/^Invalid page size\./),
    );
  });

  it('blobKindOf names what a CID is and who reads it, and nothing for an unknown one', async function () {
    expect(await blobKindOf(store, 'bafy-static-1')).to.deep.equal({ visibility: 'public', what: 'static document' });
    expect(await blobKindOf(store, 'bafy-manifest')).to.deep.equal({ visibility: 'public', what: 'batch manifest' });
    expect(await blobKindOf(store, 'bafy-alice')).to.deep.equal({ visibility: 'public', what: 'entity profile' });
    expect(await blobKindOf(store, 'bafy-artifact')).to.deep.equal({ visibility: 'public', what: 'update artifact' });
    expect(await blobKindOf(store, 'bafy-snap-2')).to.deep.equal({
      visibility: 'device',
      what: 'snapshot',
      deviceId: deviceIdOf(1),
    });
    expect(await blobKindOf(store, 'bafy-evidence-scan:3')).to.deep.equal({
      visibility: 'device',
      what: 'alert evidence',
      deviceId: deviceIdOf(2),
    });
    expect(await blobKindOf(store, 'bafy-telemetry-1')).to.deep.equal({
      visibility: 'security',
      what: 'telemetry batch',
    });
    expect(await blobKindOf(store, 'bafy-unknown\u0000')).to.equal(undefined);
  });

  it('fleetCounts, openAlertsByDevice and indexTotals count the fleet', async function () {
    const counts = await fleetCounts(store, T0 + 150);
    expect(counts).to.deep.include({
      twins: 3,
      forSale: 1,
      reviewRequested: 1,
      openAlerts: 3,
      alertedTwins: 2,
      pendingSnapshots: 1,
      oldestPendingAt: new Date(T0 + 1100).toISOString(),
      lastConfirmedAt: new Date(T0 + 5_200).toISOString(),
      confirmedBatches: 1,
      recentSnapshots: 2,
      lastSnapshotAt: new Date(T0 + 1100).toISOString(),
    });
    expect(counts.byState).to.deep.equal({ active: 2, suspended: 1 });
    expect(counts.recentReadings).to.equal(3);
    expect((await fleetCounts(store, NOW + 4_500)).recentReadings).to.equal(1);
    expect([...(await openAlertsByDevice(store)).entries()].sort()).to.deep.equal([
      [deviceIdOf(1), 2],
      [deviceIdOf(2), 1],
    ]);
    expect(await indexTotals(store)).to.deep.equal({
      twins: 3,
      snapshots: 3,
      telemetryMessages: 3,
      pendingAnchor: 1,
      mirroredBlock: null,
    });
  });

  it('latestSnapshotsOf and latestTelemetryOf read many devices in one statement each', async function () {
    const snapshots = await latestSnapshotsOf(store, [deviceIdOf(1), deviceIdOf(2), deviceIdOf(3), deviceIdOf(1)]);
    expect(Object.fromEntries(snapshots)).to.deep.equal({
      [deviceIdOf(1)]: { seq: 2, collectedAt: new Date(T0 + 1000).toISOString(), anchored: false },
      [deviceIdOf(2)]: { seq: 1, collectedAt: new Date(T0).toISOString(), anchored: true },
    });
    const telemetry = await latestTelemetryOf(store, [deviceIdOf(1), deviceIdOf(3)]);
    expect([...telemetry.keys()]).to.deep.equal([deviceIdOf(1)]);
    expect(telemetry.get(deviceIdOf(1))!.seq).to.equal(5);
    expect((await latestSnapshotsOf(store, [])).size).to.equal(0);
  });

  it('reads the rows a feed event names by its ids; a missing one is undefined', async function () {
    expect((await getAlert(store, SECURITY.toLowerCase(), 'scan:2'))!.deviceId).to.equal(deviceIdOf(1));
    expect(await getAlert(store, SECURITY, 'scan:404')).to.equal(undefined);
    expect(await getStateChange(store, 111, 2)).to.deep.include({
      deviceId: deviceIdOf(2),
      new: 'suspended',
      logIndex: 2,
    });
    expect(await getStateChange(store, 111, 3)).to.equal(undefined);
    expect(await getChainEventSummary(store, 111, 2)).to.deep.include({
      name: 'TwinStateChanged',
      contract: 'TwinRegistry',
    });
    const anchored = (await getAnchoredBatch(store, 1))!;
    expect(anchored.deviceIds.sort()).to.deep.equal([deviceIdOf(1), deviceIdOf(2)]);
    expect(anchored.firstReceivedAt).to.equal(new Date(T0 + 100).toISOString());
    expect(anchored.gasUsed).to.equal(2n ** 60n);
    expect(await getAnchoredBatch(store, 999)).to.equal(undefined);
    const readings = await telemetryReadingsThrough(store, deviceIdOf(1), { afterSeq: 3, throughSeq: 5 });
    expect(readings.map((reading) => reading.seq)).to.deep.equal([4, 5]);
    expect(readings[1]!.body).to.deep.include({ cpuPercent: 5 });
    expect(
      await telemetryReadingsThrough(store, deviceIdOf(1), { afterSeq: 2, throughSeq: 5, limit: 1 }),
    ).to.have.length(1);
  });

  it('expireDueCommands returns the commands it expired, only those past their expiry', async function () {
    const base = {
      deviceId: deviceIdOf(3),
      command: 'ping',
      args: {},
      signer: ALICE,
      sig: `0x${'22'.repeat(65)}`,
      createdAt: T0,
    };
    await insertCommand(store, { ...base, commandId: `0x${'01'.repeat(32)}`, nonce: '1', expiry: T0 / 1000 + 10 });
    await insertCommand(store, { ...base, commandId: `0x${'02'.repeat(32)}`, nonce: '2', expiry: T0 / 1000 + 100 });
    const expired = await expireDueCommands(store, T0 + 20_000);
    expect(expired.map((command) => [command.commandId, command.status])).to.deep.equal([
      [`0x${'01'.repeat(32)}`, 'expired'],
    ]);
    expect(await expireDueCommands(store, T0 + 20_000)).to.deep.equal([]);
  });
});
