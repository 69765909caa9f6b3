import { expect } from 'chai';
import {
  StoreError,
  attachBatch,
  createBatch,
  getSnapshot,
  insertSnapshot,
  insertSnapshots,
  latestSnapshot,
  listSnapshots,
  listUnbatchedSnapshots,
  markBatchFailed,
  markBatchSubmitted,
  readSequenceLedger,
  saveSequenceLedger,
  loadSequenceLedger,
  pageSnapshots,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const snapshot = (n: number, seq: number) => ({
  deviceId: device(n),
  seq,
  collectedAt: Date.UTC(2026, 0, 1, 0, 0, seq),
  hash: hash(seq),
  cid: `bafkrei${n}x${seq}`,
});

describe('store: snapshots and the replay ledger', function () {
  this.timeout(60_000);
  let store: Store;
  before(async function () {
    store = await (await createTestDatabase()).open();
  });

  describe('when a snapshot is inserted twice', function () {
    it('stores it once and returns the stored one with inserted false', async function () {
      const first = await insertSnapshot(store, snapshot(1, 5));
      const second = await insertSnapshot(store, { ...snapshot(1, 5), hash: hash(99) });
      expect(first.inserted).to.equal(true);
      expect(first.previousSeq).to.equal(undefined);
      expect(second.inserted).to.equal(false);
      expect(second.snapshot).to.deep.equal(first.snapshot);
      expect(second.snapshot.hash).to.equal(hash(5));
      expect(second.previousSeq).to.equal(5);
      const { rows } = await store.query<{ n: number }>(
        'SELECT (SELECT count(*) FROM snapshots)::int + (SELECT count(*) FROM snapshot_queue)::int AS n',
      );
      expect(rows[0]!.n).to.equal(2); // one snapshot row, one queue row
    });

    it('stores it once when two transactions insert it at the same moment', async function () {
      const results = await Promise.all([1, 2, 3, 4].map(() => insertSnapshot(store, snapshot(2, 1))));
      expect(results.filter((result) => result.inserted)).to.have.length(1);
      expect(await readSequenceLedger(store).last(device(2), 'snapshot')).to.equal(1);
    });
  });

  describe('when the ledger and the snapshot are written', function () {
    it('advances the ledger in the insert, never lowering it', async function () {
      await insertSnapshot(store, snapshot(3, 10));
      await insertSnapshot(store, snapshot(3, 7)); // a late one: stored, the ledger stays at 10
      const ledger = readSequenceLedger(store);
      expect(await ledger.last(device(3), 'snapshot')).to.equal(10);
      expect((await latestSnapshot(store, device(3)))!.seq).to.equal(10);
      expect((await listSnapshots(store, device(3))).map((s) => s.seq)).to.deep.equal([7, 10]);
    });

    it('rolls both back when the surrounding transaction fails', async function () {
      const error = await rejectionOf(
        withTransaction(store, async (tx) => {
          const { inserted } = await insertSnapshot(tx, snapshot(4, 3));
          expect(inserted).to.equal(true);
          expect(await readSequenceLedger(tx).last(device(4), 'snapshot')).to.equal(3);
          throw new Error('the IPFS write failed');
        }),
      );
      expect(error.message).to.equal('the IPFS write failed');
      expect(await getSnapshot(store, device(4), 3)).to.equal(undefined);
      expect(await readSequenceLedger(store).last(device(4), 'snapshot')).to.equal(undefined);
      expect((await listUnbatchedSnapshots(store)).filter((s) => s.deviceId === device(4))).to.deep.equal([]);
    });

    it('rolls the snapshot back when the ledger write fails', async function () {
      // A ledger row that violates its domain (not a DeviceID) makes the second statement fail in the same transaction.
      const error = await rejectionOf(
        withTransaction(store, async (tx) => {
          await insertSnapshot(tx, snapshot(5, 1));
          await tx.query(`INSERT INTO sequence_ledger VALUES ('not a device', 'snapshot', 1)`);
        }),
      );
      expect(error).to.be.instanceOf(StoreError);
      expect((error as StoreError).sqlState).to.equal('23514'); // check_violation
      expect(await getSnapshot(store, device(5), 1)).to.equal(undefined);
    });

    it('keeps the will number as announced, lower or not, and loads every row', async function () {
      await saveSequenceLedger(store, [{ deviceId: device(6), kind: 'will', seq: 9 }]);
      await saveSequenceLedger(store, [{ deviceId: device(6), kind: 'will', seq: 2 }]);
      expect(await readSequenceLedger(store).willSeq(device(6))).to.equal(2);
      expect(await loadSequenceLedger(store)).to.deep.include({ deviceId: device(6), kind: 'will', seq: 2 });
    });
  });

  describe('when many snapshots are inserted in one call', function () {
    it("stores the new ones once, queues them and advances each device's ledger to its highest", async function () {
      await insertSnapshot(store, snapshot(20, 4));
      const many = [
        snapshot(20, 4), // already stored
        snapshot(20, 6),
        snapshot(20, 5),
        snapshot(21, 1),
        snapshot(21, 1), // twice in the call
        ...Array.from({ length: 200 }, (_, n) => snapshot(22, n)),
      ];
      const inserted = await insertSnapshots(store, many);
      expect(inserted.slice(0, 5)).to.deep.equal([false, true, true, true, false]);
      expect(inserted.slice(5).every(Boolean)).to.equal(true);
      const ledger = readSequenceLedger(store);
      expect(await ledger.last(device(20), 'snapshot')).to.equal(6);
      expect(await ledger.last(device(21), 'snapshot')).to.equal(1);
      expect(await ledger.last(device(22), 'snapshot')).to.equal(199);
      const queued = (await listUnbatchedSnapshots(store, { limit: 10_000 })).filter((s) =>
        [device(20), device(21), device(22)].includes(s.deviceId),
      );
      expect(queued).to.have.length(1 + 2 + 1 + 200); // seq 4 of device 20 was queued by the first insert
      expect(await insertSnapshots(store, many.slice(0, 4))).to.deep.equal([false, false, false, false]);
    });

    it('stores none of them when one is bad, or when the transaction rolls back', async function () {
      const bad = (await rejectionOf(
        insertSnapshots(store, [snapshot(23, 1), { ...snapshot(23, 2), hash: 'nope' }]),
      )) as StoreError;
      expect(bad.shortMessage).to.equal('Invalid snapshot hash.');
      await rejectionOf(
        withTransaction(store, async (tx) => {
          await insertSnapshots(tx, [snapshot(23, 1), snapshot(23, 2)]);
          throw new Error('rolled back');
        }),
      );
      expect(await listSnapshots(store, device(23))).to.deep.equal([]);
      expect(await readSequenceLedger(store).last(device(23), 'snapshot')).to.equal(undefined);
    });
  });

  describe("when a device's snapshots are paged", function () {
    it('returns them newest first with the total, bounded by collection time', async function () {
      for (const seq of [1, 2, 3, 4, 5]) await insertSnapshot(store, snapshot(10, seq));
      const first = await pageSnapshots(store, device(10), { pageSize: 2 });
      expect(first.items.map((s) => s.seq)).to.deep.equal([5, 4]);
      expect(first).to.include({ total: 5, page: 1, pageSize: 2 });
      const bounded = await pageSnapshots(store, device(10), {
        fromTime: Date.UTC(2026, 0, 1, 0, 0, 2),
        toTime: Date.UTC(2026, 0, 1, 0, 0, 4),
        page: 2,
        pageSize: 2,
      });
      expect(bounded.items.map((s) => s.seq)).to.deep.equal([2]);
      expect(bounded.total).to.equal(3);
      const past = await pageSnapshots(store, device(10), { page: 9, pageSize: 2 });
      expect(past).to.deep.include({ items: [], total: 5 });
    });
  });

  describe('when bad input is given', function () {
    it('names the bad field and stores nothing', async function () {
      const bad = await rejectionOf(insertSnapshot(store, { ...snapshot(7, 1), deviceId: 'not a device' }));
      expect(bad).to.be.instanceOf(StoreError);
      expect((bad as StoreError).shortMessage).to.equal('Invalid DeviceID.');
      const seq = await rejectionOf(insertSnapshot(store, { ...snapshot(7, 1), seq: -1 }));
      expect((seq as StoreError).shortMessage).to.equal('Invalid snapshot sequence number.');
      expect(await listSnapshots(store, device(7))).to.deep.equal([]);
    });
  });

  describe('when snapshots are attached to a batch', function () {
    it('records leaf index and proof, takes them off the queue, and refuses moving one out of a submitted batch', async function () {
      await insertSnapshot(store, snapshot(8, 1));
      await insertSnapshot(store, snapshot(8, 2));
      const batch = await createBatch(store, { leafCount: 2 });
      await attachBatch(store, batch.id, [
        { deviceId: device(8), seq: 1, leafIndex: 0, proof: [hash(2)] },
        { deviceId: device(8), seq: 2, leafIndex: 1, proof: [hash(1)] },
      ]);
      const attached = await getSnapshot(store, device(8), 2);
      expect(attached).to.include({ batchId: batch.id, leafIndex: 1 });
      expect(attached!.proof).to.deep.equal([hash(1)]);
      expect((await listUnbatchedSnapshots(store)).filter((s) => s.deviceId === device(8))).to.deep.equal([]);

      await markBatchSubmitted(store, batch.id, { root: hash(3), manifestCid: 'bafy', leafCount: 2, txHash: hash(4) });
      const other = await createBatch(store);
      const error = (await rejectionOf(
        attachBatch(store, other.id, [{ deviceId: device(8), seq: 1, leafIndex: 0, proof: [] }]),
      )) as StoreError;
      expect(error.shortMessage).to.equal('The snapshot is in another batch.');
      expect(error.details).to.contain(`submitted batch ${batch.id}`);
      expect((await getSnapshot(store, device(8), 1))!.batchId).to.equal(batch.id);
    });

    it("moves a snapshot out of a failed batch, never out of an open one (another instance's claim)", async function () {
      await insertSnapshot(store, snapshot(11, 1));
      const claimed = await createBatch(store);
      const leaf = { deviceId: device(11), seq: 1, leafIndex: 0, proof: [] };
      await attachBatch(store, claimed.id, [leaf]);
      const mine = await createBatch(store);
      const refused = (await rejectionOf(attachBatch(store, mine.id, [leaf]))) as StoreError;
      expect(refused.details).to.contain(`open batch ${claimed.id}`);
      await markBatchFailed(store, claimed.id, 'SnapshotAnchorDuplicateRoot');
      await attachBatch(store, mine.id, [leaf]);
      expect((await getSnapshot(store, device(11), 1))!.batchId).to.equal(mine.id);
    });

    it('refuses a second membership row for one snapshot (the primary key of batch_members)', async function () {
      await insertSnapshot(store, snapshot(9, 1));
      const [a, b] = [await createBatch(store), await createBatch(store)];
      await store.query('INSERT INTO batch_members (device_id, seq, batch_id) VALUES ($1, 1, $2)', [device(9), a.id]);
      const error = (await rejectionOf(
        store.query('INSERT INTO batch_members (device_id, seq, batch_id) VALUES ($1, 1, $2)', [device(9), b.id]),
      )) as StoreError;
      expect(error.sqlState).to.equal('23505');
    });
  });
});
