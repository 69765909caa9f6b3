import { expect } from 'chai';
import {
  StoreError,
  attachBatch,
  createBatch,
  claimUnbatchedSnapshots,
  confirmBatchByRoot,
  confirmBatchByRootOnce,
  confirmBatchOnce,
  getBatch,
  listBatchSnapshots,
  listBatches,
  listUnbatchedSnapshots,
  markBatchConfirmed,
  markBatchFailed,
  markBatchSubmitted,
  unconfirmBatchesAfter,
  withTransaction,
  type ClaimedBatch,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const key = (s: { deviceId: string; seq: number }) => `${s.deviceId}#${s.seq}`;

/** `count` snapshots of 10 devices, queued for batching, received 1 ms apart from `from` (one statement). */
async function queueSnapshots(store: Store, count: number, from = Date.UTC(2026, 0, 1)): Promise<void> {
  await store.query(
    `WITH rows AS (
       SELECT '0x' || lpad(to_hex(n % 10 + 1), 64, '0') AS device_id, n AS seq,
              to_timestamp(($2::bigint + n) / 1000.0) AS at
       FROM generate_series((SELECT coalesce(max(seq) + 1, 0) FROM snapshots), (SELECT coalesce(max(seq) + 1, 0) FROM snapshots) + $1 - 1) AS n
     ), inserted AS (
       INSERT INTO snapshots (device_id, seq, collected_at, hash, cid, received_at)
       SELECT device_id, seq, at, '0x' || lpad(to_hex(seq), 64, '0'), 'bafy' || seq, at FROM rows RETURNING device_id, seq, received_at
     )
     INSERT INTO snapshot_queue SELECT device_id, seq, received_at FROM inserted`,
    [count, from],
  );
}

describe('store: batches claimed from the shared queue', function () {
  this.timeout(120_000);
  let store: Store;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  /** A second pool on the same database: another instance. */
  const openSecond = () => database.open({ poolSize: 4 });
  beforeEach(async function () {
    database = await createTestDatabase();
    store = await database.open({ poolSize: 8 });
  });

  describe('when two claimers run at the same time', function () {
    it('the second skips what the first holds, without waiting for it, and gets other snapshots', async function () {
      await queueSnapshots(store, 100);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let first: ClaimedBatch | undefined;
      let claimedFirst!: () => void;
      const firstClaimed = new Promise<void>((resolve) => (claimedFirst = resolve));
      // The first claimer keeps its transaction (and its row locks) open until the second has claimed.
      const firstTransaction = withTransaction(store, async (tx) => {
        first = await claimUnbatchedSnapshots(tx, { limit: 30 });
        claimedFirst();
        await held;
      });
      await firstClaimed;
      const second = await claimUnbatchedSnapshots(store, { limit: 30 });
      release();
      await firstTransaction;

      expect(first!.snapshots).to.have.length(30);
      expect(second!.snapshots).to.have.length(30);
      const firstKeys = new Set(first!.snapshots.map(key));
      expect(second!.snapshots.filter((s) => firstKeys.has(key(s)))).to.deep.equal([]);
      expect(second!.batch.id).to.not.equal(first!.batch.id);
      // Oldest first: the first claimer took seq 0…29, the second the next 30.
      expect(first!.snapshots.map((s) => s.seq)).to.deep.equal([...Array(30).keys()]);
      expect(second!.snapshots.map((s) => s.seq)).to.deep.equal([...Array(30).keys()].map((n) => n + 30));
      expect(await listUnbatchedSnapshots(store, { limit: 1_000 })).to.have.length(40);
    });

    it('four claimers looping on their own connections never get the same snapshot, and together get all', async function () {
      await queueSnapshots(store, 2_000);
      const claims: { claimer: number; batch: ClaimedBatch }[] = [];
      const claimer = async (id: number) => {
        for (;;) {
          const batch = await withTransaction(store, async (tx) => {
            const claimed = await claimUnbatchedSnapshots(tx, { limit: 37 });
            await tx.query('SELECT pg_sleep(0.005)'); // hold the locks a moment: the others must skip, not wait
            return claimed;
          });
          if (batch === undefined) return;
          claims.push({ claimer: id, batch });
        }
      };
      await Promise.all([1, 2, 3, 4].map(claimer));
      const all = claims.flatMap((claim) => claim.batch.snapshots.map(key));
      expect(new Set(all).size).to.equal(all.length); // no snapshot twice
      expect(all).to.have.length(2_000); // none left out
      expect(new Set(claims.map((claim) => claim.claimer)).size).to.be.greaterThan(1);
      const { rows } = await store.query<{ n: number; batches: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM batch_members',
      );
      expect(rows[0]).to.deep.equal({ n: 2_000, batches: claims.length });
      for (const claim of claims) expect(claim.batch.batch.leafCount).to.equal(claim.batch.snapshots.length);
    });
  });

  describe('when snapshots are attached to batches while others claim them', function () {
    it('each ends in exactly one batch and the queue empties', async function () {
      await queueSnapshots(store, 300);
      const queued = await listUnbatchedSnapshots(store, { limit: 1_000 });
      let attached = 0;
      let refused = 0;
      // The claimers start once one attach has landed, so both paths run whatever the machine's load (on a busy
      // machine the claimers could otherwise take everything first); the rest race.
      let firstAttached!: () => void;
      const started = new Promise<void>((resolve) => (firstAttached = resolve));
      const attacher = async () => {
        for (const snapshot of queued.filter((_, position) => position % 3 === 0)) {
          const batch = await createBatch(store, { leafCount: 1 });
          const leaf = { deviceId: snapshot.deviceId, seq: snapshot.seq, leafIndex: 0, proof: [] };
          try {
            await attachBatch(store, batch.id, [leaf]);
            attached += 1;
            firstAttached();
          } catch (error) {
            // A claimer took it first: its open batch keeps it.
            expect((error as StoreError).shortMessage).to.equal('The snapshot is in another batch.');
            refused += 1;
          }
        }
      };
      const claimed: ClaimedBatch[] = [];
      const claimer = async () => {
        await started;
        for (;;) {
          const batch = await claimUnbatchedSnapshots(store, { limit: 7 });
          if (batch === undefined) return;
          claimed.push(batch);
        }
      };
      await Promise.all([attacher(), claimer(), claimer()]);
      // Each claim keeps every snapshot it claimed: none was moved out of it by an attach.
      for (const claim of claimed) {
        expect(await listBatchSnapshots(store, claim.batch.id)).to.have.length(claim.batch.leafCount);
      }
      const { rows } = await store.query<{ members: number; queued: number }>(
        `SELECT count(*)::int AS members, (SELECT count(*)::int FROM snapshot_queue) AS queued FROM batch_members`,
      );
      expect(rows[0]).to.deep.equal({ members: 300, queued: 0 });
      expect(attached + refused).to.equal(100);
      expect(attached).to.be.greaterThan(0);
    });
  });

  describe('when an attach reads a snapshot before a claim of it commits', function () {
    it('refuses the attach, and the claim keeps its member', async function () {
      await queueSnapshots(store, 3);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let claim: ClaimedBatch | undefined;
      let claimedFirst!: () => void;
      const claimedOne = new Promise<void>((resolve) => (claimedFirst = resolve));
      const claimTransaction = withTransaction(store, async (tx) => {
        claim = await claimUnbatchedSnapshots(tx, { limit: 1 });
        claimedFirst();
        await held;
      });
      await claimedOne;
      const [leaf] = claim!.snapshots;
      const other = await createBatch(store, { leafCount: 1 });
      const attach = rejectionOf(
        attachBatch(store, other.id, [{ deviceId: leaf!.deviceId, seq: leaf!.seq, leafIndex: 0, proof: [] }]),
      );
      // The attach has read the snapshot (no member yet) and waits on the claim's uncommitted member row.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await store.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO batch_members%'`,
        );
        if (rows[0]!.waiting > 0) break;
        if (Date.now() > deadline) throw new Error('the attach never waited on the claim');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      await claimTransaction;
      const error = await attach;
      expect(error).to.be.instanceOf(StoreError);
      expect((error as StoreError).shortMessage).to.equal('The snapshot is in another batch.');
      expect((await listBatchSnapshots(store, claim!.batch.id)).map(key)).to.deep.equal([key(leaf!)]);
      expect(await listBatchSnapshots(store, other.id)).to.deep.equal([]);
    });
  });

  describe('when the claiming transaction rolls back', function () {
    it('leaves the snapshots unbatched and creates no batch', async function () {
      await queueSnapshots(store, 10);
      await rejectionOf(
        withTransaction(store, async (tx) => {
          expect((await claimUnbatchedSnapshots(tx, { limit: 10 }))!.snapshots).to.have.length(10);
          throw new Error('the manifest upload failed');
        }),
      );
      expect(await listUnbatchedSnapshots(store)).to.have.length(10);
      expect(await listBatches(store)).to.deep.equal([]);
    });
  });

  describe('when nothing is queued', function () {
    it('claims nothing and creates no batch', async function () {
      expect(await claimUnbatchedSnapshots(store)).to.equal(undefined);
      await queueSnapshots(store, 5, Date.UTC(2026, 5, 1));
      expect(await claimUnbatchedSnapshots(store, { receivedBefore: Date.UTC(2026, 0, 1) })).to.equal(undefined);
      expect(await listBatches(store)).to.deep.equal([]);
    });
  });

  describe('when a batch is anchored', function () {
    it('is confirmed once when the anchorer and the chain mirror confirm it at the same time', async function () {
      await queueSnapshots(store, 2, Date.UTC(2026, 1, 1));
      const { batch } = (await claimUnbatchedSnapshots(store))!;
      await markBatchSubmitted(store, batch.id, {
        root: hash(0xbee),
        manifestCid: 'bafyonce',
        leafCount: 2,
        txHash: hash(2),
      });
      const second = await openSecond();
      try {
        const results = await Promise.all([
          ...Array.from({ length: 4 }, () => confirmBatchOnce(store, batch.id, { txHash: hash(2), block: 7 })),
          ...Array.from({ length: 4 }, () =>
            confirmBatchByRootOnce(second, hash(0xbee), { txHash: hash(2), block: 7 }),
          ),
        ]);
        expect(results.filter((result) => result !== undefined)).to.have.length(1);
        expect((await getBatch(store, batch.id))!).to.include({ status: 'confirmed', block: 7 });
      } finally {
        await second.close();
      }
    });

    it('goes submitted, then confirmed (by its root too), and a reorganisation turns it back', async function () {
      await queueSnapshots(store, 3);
      const { batch } = (await claimUnbatchedSnapshots(store))!;
      const submitted = await markBatchSubmitted(store, batch.id, {
        root: hash(0xabc).toUpperCase().replace('0X', '0x'),
        manifestCid: 'bafymanifest',
        leafCount: 3,
        txHash: hash(1),
      });
      expect(submitted).to.include({ status: 'submitted', root: hash(0xabc), leafCount: 3 });
      const confirmed = await confirmBatchByRoot(store, hash(0xabc), {
        txHash: hash(1),
        block: 42,
        gasUsed: 2n ** 70n,
        chainBatchId: 9,
      });
      expect(confirmed).to.include({ status: 'confirmed', block: 42, chainBatchId: 9 });
      expect(confirmed!.gasUsed).to.equal(2n ** 70n);
      expect(await confirmBatchByRoot(store, hash(0xdef), { txHash: hash(1), block: 1 })).to.equal(undefined);

      // Confirming it again once (the chain mirror after the anchorer, or the other way round) changes nothing.
      expect(await confirmBatchOnce(store, batch.id, { txHash: hash(1), block: 42 })).to.equal(undefined);
      expect(await confirmBatchByRootOnce(store, hash(0xabc), { txHash: hash(1), block: 42 })).to.equal(undefined);

      const failing = (await rejectionOf(markBatchFailed(store, batch.id, 'too late'))) as StoreError;
      expect(failing.shortMessage).to.equal('The batch cannot change.');
      expect(failing.details).to.equal(`batch ${batch.id} is already confirmed`);

      expect(await unconfirmBatchesAfter(store, 41)).to.equal(1);
      expect(await getBatch(store, batch.id)).to.include({ status: 'submitted', block: null, confirmedAt: null });
      const again = await markBatchConfirmed(store, batch.id, { txHash: hash(1), block: 43 });
      expect(again).to.include({ status: 'confirmed', block: 43, chainBatchId: null });
      expect(again.gasUsed).to.equal(2n ** 70n);
      expect(await listBatches(store, { status: 'confirmed' })).to.have.length(1);
    });

    it('refuses an unknown batch and a bad status by name', async function () {
      const unknown = (await rejectionOf(markBatchFailed(store, 999, 'x'))) as StoreError;
      expect(unknown.shortMessage).to.equal('Unknown batch.');
      const status = (await rejectionOf(listBatches(store, { status: 'lost' as never }))) as StoreError;
      expect(status.shortMessage).to.equal('Invalid batch status.');
    });
  });
});
