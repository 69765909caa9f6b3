import { expect } from 'chai';
import {
  StoreError,
  batchMemberKeys,
  chainEventsNamed,
  gapsOf,
  getBatchByRoot,
  indexHoldings,
  insertSnapshot,
  listUnbatchedSnapshots,
  readEvents,
  readSequenceLedger,
  recordChainEvents,
  restoreAnchoredBatch,
  sequenceStatus,
  type RestoredLeaf,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const DEVICE = hash(0xd1);
const OTHER = hash(0xd2);

const leaf = (deviceId: string, seq: number, leafIndex: number, snapshotHash = hash(seq)): RestoredLeaf => ({
  deviceId,
  seq,
  collectedAt: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:01.000Z',
  hash: snapshotHash,
  cid: `bafy-${deviceId.slice(-2)}-${seq}`,
  leafIndex,
  proof: [hash(0xaa)],
});
const batch = (root: number, leaves: RestoredLeaf[], leafCount = leaves.length) => ({
  root: hash(root),
  manifestCid: `bafy-manifest-${root}`,
  leafCount,
  txHash: hash(0x7000 + root),
  block: 10 + root,
  chainBatchId: root,
  createdAt: '2026-01-01T00:00:02.000Z',
  leaves,
});

describe('store: restoring an anchored batch (the rebuild)', function () {
  this.timeout(120_000);
  let store: Store;
  beforeEach(async function () {
    store = await (await createTestDatabase()).open();
  });
  afterEach(() => store.close());

  it('writes the batch confirmed, its snapshots with proofs, the ledger and head, no gap; again changes nothing', async function () {
    expect(Object.values(await indexHoldings(store)).every((count) => count === 0)).to.equal(true);
    const leaves = [leaf(DEVICE, 4, 0), leaf(DEVICE, 90, 1), leaf(OTHER, 7, 2)];
    const result = await restoreAnchoredBatch(store, batch(1, leaves));
    expect(result).to.deep.include({ created: true, insertedSnapshots: 3, attached: 3, conflicts: [] });
    expect(result.batch).to.deep.include({ status: 'confirmed', leafCount: 3, chainBatchId: 1, block: 11 });
    expect(await batchMemberKeys(store, result.batch.id)).to.deep.equal([
      { deviceId: DEVICE, seq: 4 },
      { deviceId: DEVICE, seq: 90 },
      { deviceId: OTHER, seq: 7 },
    ]);
    expect(await readSequenceLedger(store).last(DEVICE, 'snapshot')).to.equal(90);
    expect(await gapsOf(store, DEVICE)).to.deep.equal([]);
    // A replay of a restored number, and of one below it, is refused; the next one is new.
    const status = async (seq: number) =>
      (await sequenceStatus(store, { deviceId: DEVICE, kind: 'snapshot', seq })).status;
    expect(await status(90)).to.equal('replay');
    expect(await status(50)).to.equal('replay');
    expect(await status(91)).to.equal('new');
    expect(await listUnbatchedSnapshots(store)).to.deep.equal([]);
    const { events } = await readEvents(store, { after: 0, limit: 100 });
    expect(events.filter((event) => event.kind === 'anchored')).to.have.length(1);

    const again = await restoreAnchoredBatch(store, batch(1, leaves));
    expect(again).to.deep.include({ created: false, insertedSnapshots: 0, attached: 0, conflicts: [] });
    expect(again.batch.id).to.equal(result.batch.id);
    expect((await indexHoldings(store)).snapshots).to.equal(3);
  });

  it('restores the rest of a batch and names the leaves it cannot: another hash, another batch, twice', async function () {
    await restoreAnchoredBatch(store, batch(1, [leaf(DEVICE, 5, 0)]));
    // A partial batch (2 of 3 leaves), completed by a later call.
    const partial = await restoreAnchoredBatch(store, batch(2, [leaf(OTHER, 1, 0)], 3));
    expect(partial.attached).to.equal(1);
    const completed = await restoreAnchoredBatch(store, batch(2, [leaf(OTHER, 2, 2)], 3));
    expect(completed).to.deep.include({ created: false, attached: 1 });
    expect(await batchMemberKeys(store, partial.batch.id)).to.have.length(2);

    const result = await restoreAnchoredBatch(
      store,
      batch(3, [leaf(DEVICE, 5, 0), leaf(OTHER, 1, 1, hash(0xbad)), leaf(DEVICE, 6, 2), leaf(DEVICE, 6, 3)]),
    );
    expect(result.attached).to.equal(1);
    expect(result.conflicts.map((conflict) => `${conflict.seq}: ${conflict.reason}`)).to.deep.equal([
      `5: the index holds this snapshot in batch ${(await getBatchByRoot(store, hash(1)))!.id}`,
      `1: the index holds this snapshot with hash ${hash(1)}, the leaf has ${hash(0xbad)}`,
      '6: the batch holds this snapshot twice',
    ]);
    // The ledger is never lowered.
    await restoreAnchoredBatch(store, batch(4, [leaf(DEVICE, 2, 0)]));
    expect(await readSequenceLedger(store).last(DEVICE, 'snapshot')).to.equal(6);
    const refused = await rejectionOf(restoreAnchoredBatch(store, batch(5, [leaf(DEVICE, 8, 1)], 1)));
    expect(refused).to.be.instanceOf(StoreError);
    expect((refused as StoreError).shortMessage).to.equal('Invalid leaf index.');
  });

  it('attaches a snapshot the index holds unbatched, taking it off the queue', async function () {
    await insertSnapshot(store, { deviceId: DEVICE, seq: 3, collectedAt: 0, hash: hash(3), cid: 'bafy-x' });
    expect(await listUnbatchedSnapshots(store)).to.have.length(1);
    const result = await restoreAnchoredBatch(store, batch(1, [leaf(DEVICE, 3, 0)]));
    expect(result).to.deep.include({ insertedSnapshots: 0, attached: 1 });
    expect(await listUnbatchedSnapshots(store)).to.deep.equal([]);
  });

  it('pages the chain event log by name', async function () {
    const event = (block: number, logIndex: number, name: string) => ({
      block,
      logIndex,
      blockHash: hash(block),
      tx: hash(block * 100 + logIndex),
      contract: 'SnapshotAnchor',
      name,
      subject: hash(block),
      payload: { block },
    });
    await recordChainEvents(store, [
      event(1, 0, 'BatchAnchored'),
      event(1, 1, 'TwinMinted'),
      event(1, 2, 'BatchAnchored'),
      event(2, 0, 'BatchAnchored'),
    ]);
    const first = await chainEventsNamed(store, 'BatchAnchored', { limit: 2 });
    expect(first.map((found) => [found.block, found.logIndex])).to.deep.equal([
      [1, 0],
      [1, 2],
    ]);
    const next = await chainEventsNamed(store, 'BatchAnchored', { after: first.at(-1)!, limit: 2 });
    expect(next.map((found) => [found.block, found.logIndex])).to.deep.equal([[2, 0]]);
  });
});
