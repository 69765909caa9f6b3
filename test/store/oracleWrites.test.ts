import { expect } from 'chai';
import {
  StoreError,
  batchSignedTx,
  claimUnbatchedSnapshots,
  ensureTelemetryPartitions,
  getBatch,
  getSnapshot,
  insertSnapshot,
  isIndexedMessage,
  readEvents,
  recordBatchTree,
  recordEvents,
  recordTelemetryBatch,
  sequenceStatuses,
  storedReadings,
  setBatchSignedTx,
  twinsUpdatedSince,
  upsertTwin,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const T0 = Date.UTC(2026, 0, 1);
const snapshot = (n: number, seq: number) => ({
  deviceId: device(n),
  seq,
  collectedAt: T0 + seq * 1000,
  hash: hash(seq),
  cid: `bafkrei${n}x${seq}`,
  receivedAt: T0 + seq * 1000,
});
const reading = (n: number, seq: number, body: unknown = { t: seq }) => ({
  deviceId: device(n),
  seq,
  ts: new Date(T0 + seq * 1000).toISOString(),
  body,
});

// What the oracle's writers add to the store (issue 15): the replay decision in the insert's transaction, the
// journal's "already indexed" check, multi-row events, the batch tree before anchoring, the twin-record scan.
describe('store: the oracle’s writes', function () {
  this.timeout(60_000);
  let store: Store;
  let second: Store;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async function () {
    database = await createTestDatabase();
    store = await database.open();
    second = await database.open();
  });
  after(async function () {
    await store.close();
    await second.close();
  });

  describe('sequenceStatuses', function () {
    it('judges many numbers of one kind against the ledger and the gaps: new, fills-gap, replay', async function () {
      await recordTelemetryBatch(store, { cid: 'bafy-s1', messages: [reading(1, 10), reading(1, 14)] });
      const statuses = await withTransaction(store, (tx) =>
        sequenceStatuses(tx, 'telemetry', [device(1), device(1), device(1), device(1), device(2)], [10, 12, 14, 15, 3]),
      );
      expect(statuses).to.deep.equal([
        { status: 'replay', last: 14 },
        { status: 'fills-gap', last: 14 },
        { status: 'replay', last: 14 },
        { status: 'new', last: 14 },
        { status: 'new', last: undefined },
      ]);
      // Per kind: the device's snapshot numbers have a ledger of their own.
      const snapshots = await withTransaction(store, (tx) => sequenceStatuses(tx, 'snapshot', [device(1)], [11]));
      expect(snapshots).to.deep.equal([{ status: 'fills-gap', last: undefined }]);
      expect(await withTransaction(store, (tx) => sequenceStatuses(tx, 'telemetry', [], []))).to.deep.equal([]);
    });

    it('serialises two instances judging the same new device: the second sees the first’s commit as a replay', async function () {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = withTransaction(store, async (tx) => {
        const statuses = await sequenceStatuses(tx, 'telemetry', [device(3)], [1]);
        await recordTelemetryBatch(tx, { cid: 'bafy-race-a', messages: [reading(3, 1)] });
        await held;
        return statuses;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      let secondDone = false;
      const later = withTransaction(second, async (tx) => {
        const statuses = await sequenceStatuses(tx, 'telemetry', [device(3)], [1]);
        secondDone = true;
        return statuses;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(secondDone, 'the second waits for the first').to.equal(false);
      release();
      expect(await first).to.deep.equal([{ status: 'new', last: undefined }]);
      expect(await later).to.deep.equal([{ status: 'replay', last: 1 }]);
    });

    it('refuses mismatched lists and bad numbers, naming them', async function () {
      const mismatch = (await rejectionOf(
        withTransaction(store, (tx) => sequenceStatuses(tx, 'telemetry', [device(1)], [])),
      )) as StoreError;
      expect(mismatch.shortMessage).to.equal('Invalid sequence statuses.');
      const bad = (await rejectionOf(
        withTransaction(store, (tx) => sequenceStatuses(tx, 'telemetry', [device(1)], [-1])),
      )) as StoreError;
      expect(bad.shortMessage).to.equal('Invalid sequence number.');
    });
  });

  it('isIndexedMessage tells a message the store holds (a journal entry processed before a crash) from a replay', async function () {
    await insertSnapshot(store, snapshot(4, 3));
    await insertSnapshot(store, snapshot(4, 8));
    const held = (seq: number, snapshotHash: string) =>
      isIndexedMessage(store, { deviceId: device(4), kind: 'snapshot', seq }, snapshotHash);
    expect(await held(3, hash(3))).to.equal(true);
    expect(await held(3, hash(4))).to.equal(false); // same number, other content
    expect(await held(5, hash(5))).to.equal(false); // below the ledger, never indexed
    expect(await held(9, hash(9))).to.equal(false); // above the ledger: new

    // Telemetry compared by body, whatever the member order jsonb keeps.
    await recordTelemetryBatch(store, { cid: 'bafy-held', messages: [reading(4, 30, { b: 2, a: { y: 1, x: 0 } })] });
    const telemetry = (seq: number, body: unknown) =>
      isIndexedMessage(store, { deviceId: device(4), kind: 'telemetry', seq, body }, '0x');
    expect(await telemetry(30, { a: { x: 0, y: 1 }, b: 2 })).to.equal(true);
    expect(await telemetry(30, { a: { x: 0, y: 1 }, b: 3 })).to.equal(false);
    expect(await telemetry(31, { t: 1 })).to.equal(false);
  });

  it('storedReadings tells the telemetry readings the store holds, in the order given', async function () {
    // Today's readings, kept in today's partition (what the oracle's upkeep creates); the latest is the highest.
    await ensureTelemetryPartitions(store, Date.now());
    const now = (seq: number) => ({ ...reading(8, seq), ts: new Date(Date.now() - 1_000 + seq).toISOString() });
    await recordTelemetryBatch(store, { cid: 'bafy-stored', messages: [now(5), now(9)] });
    expect(await storedReadings(store, [device(8), device(8), device(8), device(9)], [9, 7, 5, 5])).to.deep.equal([
      true,
      false,
      true,
      false,
    ]);
    expect(await storedReadings(store, [], [])).to.deep.equal([]);
    const mismatch = (await rejectionOf(storedReadings(store, [device(8)], []))) as StoreError;
    expect(mismatch.shortMessage).to.equal('Invalid telemetry lookup.');
  });

  it('recordEvents records many events in one statement, numbered in the order given, or none on rollback', async function () {
    const { events: before } = await readEvents(store, { after: 0, limit: 10_000 });
    const after = before.at(-1)?.seq ?? 0;
    await recordEvents(store, [
      { kind: 'telemetry', deviceId: device(5), payload: { seq: 7 } },
      { kind: 'telemetry', deviceId: device(6), payload: { seq: 9 } },
    ]);
    await recordEvents(store, []);
    const { events } = await readEvents(store, { after });
    expect(events.map((event) => [event.kind, event.deviceId, event.payload])).to.deep.equal([
      ['telemetry', device(5), { seq: 7 }],
      ['telemetry', device(6), { seq: 9 }],
    ]);
    const refused = (await rejectionOf(
      withTransaction(store, async (tx) => {
        await recordEvents(tx, [{ kind: 'telemetry', deviceId: device(5), payload: { seq: 8 } }]);
        await recordEvents(tx, [{ kind: 'Bad Kind' }]);
      }),
    )) as StoreError;
    expect(refused.shortMessage).to.equal('Invalid event kind.');
    expect((await readEvents(store, { after })).events).to.have.length(2);
  });

  it('recordBatchTree records the root, the manifest and each proof of a claimed batch, keeping a resumed batch’s manifest', async function () {
    const fresh = await (await createTestDatabase()).open();
    try {
      await insertSnapshot(fresh, snapshot(7, 1));
      await insertSnapshot(fresh, snapshot(7, 2));
      const claim = (await claimUnbatchedSnapshots(fresh))!;
      const root = `0x${'ab'.repeat(32)}`;
      const proofs = [[`0x${'0c'.repeat(32)}`], [`0x${'0d'.repeat(32)}`]];
      await recordBatchTree(fresh, claim.batch.id, { root, manifestCid: 'bafy-first', proofs });
      expect(await getBatch(fresh, claim.batch.id)).to.include({ root, manifestCid: 'bafy-first', leafCount: 2 });
      expect(await getSnapshot(fresh, device(7), 1)).to.include({ leafIndex: 0 });
      expect((await getSnapshot(fresh, device(7), 2))?.proof).to.deep.equal(proofs[1]);
      await recordBatchTree(fresh, claim.batch.id, { root, manifestCid: 'bafy-second', proofs });
      expect((await getBatch(fresh, claim.batch.id))?.manifestCid).to.equal('bafy-first');
      const other = (await rejectionOf(
        recordBatchTree(fresh, claim.batch.id, { root: `0x${'ef'.repeat(32)}`, manifestCid: 'x', proofs }),
      )) as StoreError;
      expect(other.shortMessage).to.equal('The batch cannot change.');
      const extra = (await rejectionOf(
        recordBatchTree(fresh, claim.batch.id, { root, manifestCid: 'x', proofs: [...proofs, []] }),
      )) as StoreError;
      expect(extra.shortMessage).to.equal('The batch does not hold these leaves.');
      expect((await getSnapshot(fresh, device(7), 1))?.proof).to.deep.equal(proofs[0]); // rolled back, not cleared
      const unknown = (await rejectionOf(
        recordBatchTree(fresh, 999, { root, manifestCid: 'x', proofs }),
      )) as StoreError;
      expect(unknown.shortMessage).to.equal('Unknown batch.');

      expect(await batchSignedTx(fresh, claim.batch.id)).to.equal(undefined);
      await setBatchSignedTx(fresh, claim.batch.id, '0x02F8AB');
      expect(await batchSignedTx(fresh, claim.batch.id)).to.equal('0x02f8ab');
    } finally {
      await fresh.close();
    }
  });

  it('twinsUpdatedSince lists the twins updated at or after a block, in update order', async function () {
    const owner = '0x00000000000000000000000000000000000000aa';
    const twin = (n: number, updatedBlock: number) => ({
      deviceId: device(n),
      owner,
      manufacturer: owner,
      deviceSigner: owner,
      state: 'active' as const,
      forSale: false,
      price: 0n,
      staticHash: hash(n),
      staticCid: `bafy-static-${n}`,
      updateCount: 0,
      reviewRequested: false,
      mintedBlock: 1,
      updatedBlock,
    });
    await upsertTwin(store, twin(20, 5));
    await upsertTwin(store, twin(21, 3));
    await upsertTwin(store, twin(22, 9));
    expect((await twinsUpdatedSince(store, -1)).map((item) => [item.deviceId, item.updatedBlock])).to.deep.equal([
      [device(21), 3],
      [device(20), 5],
      [device(22), 9],
    ]);
    expect((await twinsUpdatedSince(store, 5)).map((item) => item.updatedBlock)).to.deep.equal([5, 9]);
    expect(await twinsUpdatedSince(store, 5, 1)).to.have.length(1);
  });
});
