import { expect } from 'chai';
import {
  confirmBatchByRoot,
  createBatch,
  getBatch,
  listBatches,
  markBatchConfirmed,
  markBatchFailed,
  markBatchSubmitted,
  unconfirmBatchesAfter,
} from '../../../oracle/src/index/batches';
import { IndexError } from '../../../oracle/src/index/errors';
import type { Index } from '../../../oracle/src/index/openIndex';
import {
  attachBatch,
  getSnapshot,
  insertSnapshot,
  latestSnapshot,
  listBatchSnapshots,
  listSnapshots,
  listUnbatchedSnapshots,
} from '../../../oracle/src/index/snapshots';
import { thrownBy } from '../../helpers/thrownBy';
import { deviceIdOf, tempIndex } from './tempIndex';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const ROOT = `0x${'AA'.repeat(32)}`;
const TX = `0x${'bb'.repeat(32)}`;

function snapshot(device: number, seq: number) {
  return {
    deviceId: deviceIdOf(device),
    seq,
    collectedAt: new Date(T0 + seq * 60_000).toISOString(),
    hash: `0x${seq.toString(16).padStart(64, '0')}`,
    cid: `bafkrei-${device}-${seq}`,
    receivedAt: T0 + seq * 60_000 + 500,
  };
}

describe('oracle index: snapshots and batches', function () {
  let temp: ReturnType<typeof tempIndex>;
  let index: Index;
  beforeEach(function () {
    temp = tempIndex();
    index = temp.index;
  });
  afterEach(function () {
    temp.close();
  });

  it('insertSnapshot is idempotent on (device, seq): a redelivery keeps the first and says so', function () {
    const first = insertSnapshot(index, snapshot(1, 5));
    expect(first.inserted).to.equal(true);
    expect(first.snapshot).to.deep.include({
      seq: 5,
      collectedAt: '2026-03-01T12:05:00.000Z',
      batchId: null,
      proof: null,
    });
    const again = insertSnapshot(index, { ...snapshot(1, 5), hash: `0x${'ff'.repeat(32)}`, cid: 'other' });
    expect(again.inserted).to.equal(false);
    expect(again.snapshot.hash).to.equal(snapshot(1, 5).hash);
    expect(index.db.prepare('SELECT count(*) AS n FROM snapshots').get()).to.deep.include({ n: 1 });
    expect(insertSnapshot(index, snapshot(2, 5)).inserted).to.equal(true); // same seq, another device
    expect(thrownBy(() => insertSnapshot(index, { ...snapshot(1, 6), seq: -1 }))).to.be.instanceOf(IndexError);
    expect(thrownBy(() => insertSnapshot(index, { ...snapshot(1, 6), collectedAt: 'yesterday' }))).to.be.instanceOf(
      IndexError,
    );
  });

  it('lists a device’s snapshots by seq and time, pages on, and knows the latest', function () {
    for (const seq of [3, 1, 4, 2, 5, 9]) insertSnapshot(index, snapshot(1, seq));
    insertSnapshot(index, snapshot(2, 100));
    expect(listSnapshots(index, deviceIdOf(1)).map((row) => row.seq)).to.deep.equal([1, 2, 3, 4, 5, 9]);
    const page1 = listSnapshots(index, deviceIdOf(1), { limit: 4 });
    const page2 = listSnapshots(index, deviceIdOf(1), { limit: 4, fromSeq: page1.at(-1)!.seq + 1 });
    expect(page1.map((row) => row.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(page2.map((row) => row.seq)).to.deep.equal([5, 9]);
    const window = listSnapshots(index, deviceIdOf(1), {
      fromTime: '2026-03-01T12:02:00.000Z',
      toTime: new Date(T0 + 5 * 60_000),
    });
    expect(window.map((row) => row.seq)).to.deep.equal([2, 3, 4, 5]);
    expect(latestSnapshot(index, deviceIdOf(1))?.seq).to.equal(9);
    expect(latestSnapshot(index, deviceIdOf(2))?.seq).to.equal(100);
    expect(latestSnapshot(index, deviceIdOf(3))).to.equal(undefined);
  });

  it('attaches a batch with proofs all or nothing, and a confirmed snapshot stays in its batch', function () {
    for (const seq of [1, 2, 3]) insertSnapshot(index, snapshot(1, seq));
    const batch = createBatch(index, { createdAt: T0 });
    expect(batch).to.include({ status: 'open', root: null, leafCount: 0, createdAt: '2026-03-01T12:00:00.000Z' });
    const proof = [`0x${'CC'.repeat(32)}`];
    const failed = thrownBy(() =>
      attachBatch(index, batch.id, [
        { deviceId: deviceIdOf(1), seq: 1, leafIndex: 0, proof },
        { deviceId: deviceIdOf(1), seq: 99, leafIndex: 1, proof },
      ]),
    );
    expect(failed).to.be.instanceOf(IndexError);
    expect(getSnapshot(index, deviceIdOf(1), 1)?.batchId).to.equal(null); // rolled back

    attachBatch(index, batch.id, [
      { deviceId: deviceIdOf(1), seq: 2, leafIndex: 0, proof },
      { deviceId: deviceIdOf(1), seq: 1, leafIndex: 1, proof: [] },
    ]);
    expect(listBatchSnapshots(index, batch.id).map((row) => [row.seq, row.leafIndex])).to.deep.equal([
      [2, 0],
      [1, 1],
    ]);
    expect(getSnapshot(index, deviceIdOf(1), 2)?.proof).to.deep.equal([`0x${'cc'.repeat(32)}`]);
    expect(listUnbatchedSnapshots(index).map((row) => row.seq)).to.deep.equal([3]);

    markBatchSubmitted(index, batch.id, { root: ROOT, manifestCid: 'bafy-manifest', leafCount: 2, txHash: TX });
    markBatchConfirmed(index, batch.id, { txHash: TX, block: 40, gasUsed: 91_000n, confirmedAt: T0 + 1 });
    const other = createBatch(index);
    const refused = thrownBy(() =>
      attachBatch(index, other.id, [{ deviceId: deviceIdOf(1), seq: 1, leafIndex: 0, proof: [] }]),
    );
    expect(refused.message).to.include('already anchored');
  });

  it('moves a batch from open to submitted to confirmed, by id or by root, and back on a reorganisation', function () {
    const batch = createBatch(index);
    const submitted = markBatchSubmitted(index, batch.id, {
      root: ROOT,
      manifestCid: 'bafy-m',
      leafCount: 3,
      txHash: TX,
    });
    expect(submitted).to.include({ status: 'submitted', root: ROOT.toLowerCase(), leafCount: 3, txHash: TX });
    expect(markBatchConfirmed(index, batch.id, { txHash: TX, block: 12, gasUsed: 123_456n })).to.include({
      status: 'confirmed',
    });

    // The mirror confirms the same batch again from its BatchAnchored event: the gas figure stays.
    const mirrored = confirmBatchByRoot(index, ROOT.toLowerCase(), { txHash: TX, block: 12, chainBatchId: 1 })!;
    expect(mirrored).to.include({ status: 'confirmed', chainBatchId: 1, block: 12 });
    expect(mirrored.gasUsed).to.equal(123_456n);
    expect(confirmBatchByRoot(index, `0x${'01'.repeat(32)}`, { txHash: TX, block: 12 })).to.equal(undefined);
    expect(thrownBy(() => markBatchFailed(index, batch.id, 'too late')).message).to.include('already confirmed');

    expect(unconfirmBatchesAfter(index, 12)).to.equal(0);
    expect(unconfirmBatchesAfter(index, 11)).to.equal(1);
    expect(getBatch(index, batch.id)).to.include({
      status: 'submitted',
      block: null,
      chainBatchId: null,
      confirmedAt: null,
    });

    const second = createBatch(index);
    expect(markBatchFailed(index, second.id, 'SnapshotAnchorDuplicateRoot')).to.include({ status: 'failed' });
    expect(listBatches(index, { status: 'failed' }).map((row) => row.failure)).to.deep.equal([
      'SnapshotAnchorDuplicateRoot',
    ]);
    expect(listBatches(index).map((row) => row.id)).to.deep.equal([batch.id, second.id]);
    expect(
      thrownBy(() => markBatchSubmitted(index, 999, { root: ROOT, manifestCid: 'x', leafCount: 1, txHash: TX }))
        .message,
    ).to.include('Unknown batch');
  });
});
