import { expect } from 'chai';
import {
  advanceSequenceLedger,
  gapTotals,
  gapsOf,
  insertSnapshot,
  insertSnapshots,
  isReplay,
  recordTelemetryBatch,
  readSequenceLedger,
  sequenceStatus,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const snapshot = (n: number, seq: number) => ({
  deviceId: device(n),
  seq,
  collectedAt: Date.UTC(2026, 0, 1, 0, 0, seq % 60),
  hash: `0x${seq.toString(16).padStart(64, '0')}`,
  cid: `bafkrei${n}x${seq}`,
});
const ranges = (gaps: { fromSeq: number; toSeq: number }[]) => gaps.map((gap) => [gap.fromSeq, gap.toSeq]);

/** The missing numbers of `received` between its lowest and highest, as ranges. */
function expectedRanges(received: Set<number>): number[][] {
  const sorted = [...received].sort((a, b) => a - b);
  const result: number[][] = [];
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i]! > sorted[i - 1]! + 1) result.push([sorted[i - 1]! + 1, sorted[i]! - 1]);
  }
  return result;
}

describe('store: sequence gaps', function () {
  this.timeout(120_000);
  let store: Store;
  let other: Store;
  const advance = (db: Store, deviceId: string, kind: string, seq: number) =>
    withTransaction(db, (tx) => advanceSequenceLedger(tx, { deviceId, kind, seq }));

  before(async function () {
    const db = await createTestDatabase();
    store = await db.open();
    other = await db.open(); // a second instance's pool
  });

  describe('when a device jumps past its highest number', function () {
    it('opens a gap of the numbers between, counted in the totals', async function () {
      expect((await advance(store, device(1), 'telemetry', 1)).note).to.equal('first');
      expect((await advance(store, device(1), 'telemetry', 2)).note).to.equal('next');
      expect((await advance(store, device(1), 'snapshot', 7)).note).to.equal('gap-opened');
      const gaps = await gapsOf(store, device(1));
      expect(ranges(gaps)).to.deep.equal([[3, 6]]);
      expect(gaps[0]!.missing).to.equal(4);
      expect(Date.parse(gaps[0]!.detectedAt)).to.be.closeTo(Date.now(), 60_000);
      expect(await gapTotals(store)).to.deep.equal({ devices: 1, openGaps: 1, missing: 4 });
    });

    it('splits it when a number in the middle arrives, keeping its detection time', async function () {
      const [before] = await gapsOf(store, device(1));
      expect((await advance(store, device(1), 'telemetry', 4)).note).to.equal('gap-filled');
      const gaps = await gapsOf(store, device(1));
      expect(ranges(gaps)).to.deep.equal([
        [3, 3],
        [5, 6],
      ]);
      expect(gaps.map((gap) => gap.detectedAt)).to.deep.equal([before!.detectedAt, before!.detectedAt]);
      expect(await gapTotals(store)).to.deep.equal({ devices: 1, openGaps: 2, missing: 3 });
    });

    it('shrinks it from either end and closes it with the last missing number', async function () {
      await advance(store, device(1), 'telemetry', 6);
      expect(ranges(await gapsOf(store, device(1)))).to.deep.equal([
        [3, 3],
        [5, 5],
      ]);
      await advance(store, device(1), 'telemetry', 3);
      await advance(store, device(1), 'status', 5);
      expect(await gapsOf(store, device(1))).to.deep.equal([]);
      expect(await gapTotals(store)).to.deep.equal({ devices: 0, openGaps: 0, missing: 0 });
      expect((await advance(store, device(1), 'telemetry', 5)).note).to.equal('seen'); // a duplicate: nothing
      // The ledger still holds each kind's highest, a late number never lowering it.
      const ledger = readSequenceLedger(store);
      expect(await ledger.last(device(1), 'telemetry')).to.equal(6);
      expect(await ledger.last(device(1), 'snapshot')).to.equal(7);
    });

    it('leaves no gap when the transaction that opened it rolls back', async function () {
      await advance(store, device(2), 'telemetry', 1);
      await rejectionOf(
        withTransaction(store, async (tx) => {
          await advanceSequenceLedger(tx, { deviceId: device(2), kind: 'telemetry', seq: 9 });
          throw new Error('the write it accounts for failed');
        }),
      );
      expect(await gapsOf(store, device(2))).to.deep.equal([]);
      expect((await advance(store, device(2), 'telemetry', 2)).note).to.equal('next');
    });

    it('does not count the announced last will as missing', async function () {
      await advance(store, device(3), 'status', 10);
      // The agent takes the will's number, then announces it in the online status that follows.
      expect((await advance(store, device(3), 'status', 12)).note).to.equal('gap-opened');
      expect(ranges(await gapsOf(store, device(3)))).to.deep.equal([[11, 11]]);
      expect((await advance(store, device(3), 'will', 11)).note).to.equal('gap-filled');
      expect(await gapsOf(store, device(3))).to.deep.equal([]);
    });
  });

  describe('when the judge checks a number', function () {
    it('tells a late or resent message filling a gap from a replay', async function () {
      const id = device(4);
      await advance(store, id, 'telemetry', 1);
      await advance(store, id, 'telemetry', 5);
      expect(await sequenceStatus(store, { deviceId: id, kind: 'telemetry', seq: 3 })).to.deep.equal({
        status: 'fills-gap',
        last: 5,
      });
      expect(await sequenceStatus(store, { deviceId: id, kind: 'telemetry', seq: 5 })).to.deep.equal({
        status: 'replay',
        last: 5,
      });
      expect(await isReplay(store, { deviceId: id, kind: 'telemetry', seq: 1 })).to.equal(true);
      expect(await sequenceStatus(store, { deviceId: id, kind: 'telemetry', seq: 6 })).to.deep.equal({
        status: 'new',
        last: 5,
      });
      // Another kind: its first message is new; one inside the gap fills it.
      expect(await sequenceStatus(store, { deviceId: id, kind: 'snapshot', seq: 2 })).to.deep.equal({
        status: 'fills-gap',
        last: undefined,
      });
      await advance(store, id, 'telemetry', 3); // the resent one is accepted
      expect(await isReplay(store, { deviceId: id, kind: 'telemetry', seq: 3 })).to.equal(true); // once only
      expect(await isReplay(store, { deviceId: id, kind: 'telemetry', seq: 2 })).to.equal(false);
    });
  });

  describe('when snapshots are inserted', function () {
    it('accounts for each inserted snapshot, one at a time or many in one statement', async function () {
      await insertSnapshot(store, snapshot(5, 1));
      await insertSnapshot(store, snapshot(5, 4));
      expect(ranges(await gapsOf(store, device(5)))).to.deep.equal([[2, 3]]);
      // Given out of order in one call: the set is complete up to 6, except 8.
      expect(
        await insertSnapshots(store, [snapshot(5, 6), snapshot(5, 3), snapshot(5, 9), snapshot(5, 2), snapshot(5, 7)]),
      ).to.deep.equal([true, true, true, true, true]);
      expect(ranges(await gapsOf(store, device(5)))).to.deep.equal([
        [5, 5],
        [8, 8],
      ]);
      await insertSnapshots(store, [snapshot(5, 5), snapshot(5, 5), snapshot(5, 4)]); // duplicates change nothing more
      expect(ranges(await gapsOf(store, device(5)))).to.deep.equal([[8, 8]]);
      expect(await readSequenceLedger(store).last(device(5), 'snapshot')).to.equal(9);
    });
  });

  describe('when telemetry batches are recorded', function () {
    it("accounts for their numbers on the device's one counter: no false gap, and a replay stays a replay", async function () {
      const id = device(7);
      const reading = (seq: number) => ({
        deviceId: id,
        seq,
        ts: Date.UTC(2026, 0, 1, 0, 0, seq),
        body: { temperature: seq },
      });
      expect(await insertSnapshots(store, [snapshot(7, 1)])).to.deep.equal([true]);
      await recordTelemetryBatch(store, { cid: 'bafy-gaps-1', messages: [reading(2), reading(3), reading(4)] });
      await insertSnapshot(store, snapshot(7, 5));
      expect(ranges(await gapsOf(store, id))).to.deep.equal([]);
      expect(await readSequenceLedger(store).last(id, 'telemetry')).to.equal(4);
      expect(await sequenceStatus(store, { deviceId: id, kind: 'telemetry', seq: 3 })).to.deep.equal({
        status: 'replay',
        last: 4,
      });
      // A jump in telemetry opens a gap that a late snapshot fills; the replayed batch changes nothing.
      await recordTelemetryBatch(store, { cid: 'bafy-gaps-2', messages: [reading(8), reading(7)] });
      expect(ranges(await gapsOf(store, id))).to.deep.equal([[6, 6]]);
      await recordTelemetryBatch(store, { cid: 'bafy-gaps-1', messages: [reading(2), reading(3), reading(4)] });
      expect(ranges(await gapsOf(store, id))).to.deep.equal([[6, 6]]);
      expect(await sequenceStatus(store, { deviceId: id, kind: 'snapshot', seq: 6 })).to.deep.equal({
        status: 'fills-gap',
        last: 5,
      });
      await insertSnapshot(store, snapshot(7, 6));
      expect(ranges(await gapsOf(store, id))).to.deep.equal([]);
      expect(await readSequenceLedger(store).last(id, 'telemetry')).to.equal(8);
    });
  });

  describe('when two instances write one device at once', function () {
    it('records exactly the numbers neither received, whatever the interleaving', async function () {
      const devices = [10, 11, 12, 13];
      const before = await gapTotals(store);
      const received = new Map<number, Set<number>>();
      const work: { n: number; seq: number }[] = [];
      let state = 7;
      const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
      for (const n of devices) {
        await advance(store, device(n), 'telemetry', 0); // the device's first number, before the race
        const set = new Set([0]);
        for (let seq = 1; seq <= 80; seq += 1) {
          if (random() < 0.25) continue; // lost
          set.add(seq);
          work.push({ n, seq });
        }
        received.set(n, set);
      }
      work.sort(() => random() - 0.5);
      // Each message its own transaction, alternately on the two pools, about 16 at a time.
      let next = 0;
      const worker = async (index: number) => {
        while (next < work.length) {
          const { n, seq } = work[next++]!;
          await advance(index % 2 === 0 ? store : other, device(n), seq % 3 === 0 ? 'snapshot' : 'telemetry', seq);
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, index) => worker(index)));
      let missing = 0;
      for (const n of devices) {
        const expected = expectedRanges(received.get(n)!);
        expect(ranges(await gapsOf(store, device(n))), `device ${n}`).to.deep.equal(expected);
        missing += expected.reduce((sum, [from, to]) => sum + to! - from! + 1, 0);
      }
      const totals = await gapTotals(store);
      expect(totals.missing).to.equal(before.missing + missing);
      expect(totals.devices).to.equal(before.devices + devices.length);
      expect(missing).to.be.greaterThan(0);
    });

    it('does not deadlock multi-device inserts of two instances, and stays exact', async function () {
      const devices = [20, 21, 22, 23, 24];
      for (const n of devices) await insertSnapshot(store, snapshot(n, 0));
      const batches: ReturnType<typeof snapshot>[][] = [];
      for (let b = 0; b < 20; b += 1) {
        const batch = [];
        for (const n of [...devices].reverse()) for (let k = 1; k <= 3; k += 1) batch.push(snapshot(n, b * 4 + k)); // b*4+4 lost
        batches.push(batch);
      }
      await Promise.all(batches.map((batch, b) => insertSnapshots(b % 2 === 0 ? store : other, batch)));
      for (const n of devices) {
        const expected = Array.from({ length: 19 }, (_, b) => [b * 4 + 4, b * 4 + 4]);
        expect(ranges(await gapsOf(store, device(n))), `device ${n}`).to.deep.equal(expected);
      }
    });
  });
});
