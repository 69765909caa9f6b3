import { expect } from 'chai';
import { claimBatchSnapshots, getBatch, recordBatchTree } from '../../../oracle/src/index/batches';
import { IndexError } from '../../../oracle/src/index/errors';
import { MIGRATIONS } from '../../../oracle/src/index/migrations';
import { openIndex, type Index } from '../../../oracle/src/index/openIndex';
import { loadSequenceLedger } from '../../../oracle/src/index/sequenceLedger';
import { attachBatch, getSnapshot, insertSnapshot, listBatchSnapshots } from '../../../oracle/src/index/snapshots';
import { unbatchedSnapshots, unfinishedBatches } from '../../../oracle/src/anchor/recovery';
import { thrownBy } from '../../helpers/thrownBy';
import { deviceIdOf, tempDirectory, tempIndex } from './tempIndex';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function snapshot(device: number, seq: number) {
  return {
    deviceId: deviceIdOf(device),
    seq,
    collectedAt: T0 + seq * 1_000,
    hash: `0x${(device * 1_000 + seq).toString(16).padStart(64, '0')}`,
    cid: `bafkrei-${device}-${seq}`,
    receivedAt: T0 + seq * 1_000 + 10,
  };
}

const key = (device: number, seq: number) => ({ deviceId: deviceIdOf(device), seq });

describe('oracle index: batch claims (each snapshot in one batch, for good)', function () {
  let temp: ReturnType<typeof tempIndex>;
  let index: Index;
  beforeEach(function () {
    temp = tempIndex();
    index = temp.index;
    for (const seq of [1, 2, 3]) insertSnapshot(index, snapshot(1, seq));
    insertSnapshot(index, snapshot(2, 1));
  });
  afterEach(function () {
    temp.close();
  });

  it('claims free snapshots in one step: the batch row, membership and leaf order', function () {
    const claim = claimBatchSnapshots(index, [key(1, 2), key(2, 1), key(1, 1)], { createdAt: T0 });
    expect(claim?.positions).to.deep.equal([0, 1, 2]);
    expect(claim?.batch).to.include({ status: 'open', root: null, leafCount: 3 });
    expect(
      listBatchSnapshots(index, claim!.batch.id).map((row) => [row.deviceId, row.seq, row.leafIndex]),
    ).to.deep.equal([
      [deviceIdOf(1), 2, 0],
      [deviceIdOf(2), 1, 1],
      [deviceIdOf(1), 1, 2],
    ]);
    // What a restart's recovery reads: the claimed snapshots are no longer unbatched, and the claimed batch resumes
    // with its leaves in their order.
    expect(unbatchedSnapshots(index).map((row) => Number(row.sequence))).to.deep.equal([3]);
    expect(unfinishedBatches(index).map((batch) => batch.snapshots.map((leaf) => Number(leaf.sequence)))).to.deep.equal(
      [[2, 1, 1]],
    );
  });

  it('gives a second claim nothing of what the first holds, and the rest in a contiguous leaf order', function () {
    const first = claimBatchSnapshots(index, [key(1, 1), key(1, 2)])!;
    expect(claimBatchSnapshots(index, [key(1, 1), key(1, 2)])).to.equal(undefined);
    const second = claimBatchSnapshots(index, [key(1, 2), key(1, 3), key(1, 3), key(9, 9), key(2, 1)])!;
    expect(second.positions).to.deep.equal([1, 4]);
    expect(second.batch.leafCount).to.equal(2);
    expect(listBatchSnapshots(index, second.batch.id).map((row) => [row.seq, row.leafIndex])).to.deep.equal([
      [3, 0],
      [1, 1],
    ]);
    expect(getSnapshot(index, deviceIdOf(1), 2)?.batchId).to.equal(first.batch.id);
    // Nothing empty is left behind by a claim that got nothing.
    expect(index.db.prepare('SELECT count(*) AS n FROM batches').get()).to.deep.include({ n: 2 });
  });

  it('refuses, at the schema, to move a claimed snapshot to another batch', function () {
    const first = claimBatchSnapshots(index, [key(1, 1)])!;
    const other = claimBatchSnapshots(index, [key(1, 2)])!;
    expect(() =>
      index.db
        .prepare('UPDATE snapshots SET batch_id = ? WHERE device_id = ? AND seq = 1')
        .run(other.batch.id, deviceIdOf(1)),
    ).to.throw(/already in another batch/);
    const refused = thrownBy(() =>
      attachBatch(index, other.batch.id, [{ deviceId: deviceIdOf(1), seq: 1, leafIndex: 1, proof: [] }]),
    );
    expect(refused).to.be.instanceOf(IndexError);
    expect(refused.message).to.include('in another batch');
    expect(getSnapshot(index, deviceIdOf(1), 1)?.batchId).to.equal(first.batch.id);
    // One snapshot per leaf position of a batch.
    expect(() =>
      index.db.prepare('UPDATE snapshots SET leaf_index = 0 WHERE device_id = ? AND seq = 3').run(deviceIdOf(1)),
    ).to.not.throw(); // not in a batch: no position to collide with
    expect(() =>
      index.db
        .prepare('UPDATE snapshots SET batch_id = ?, leaf_index = 0 WHERE device_id = ? AND seq = 3')
        .run(first.batch.id, deviceIdOf(1)),
    ).to.throw(/UNIQUE/);
  });

  it('records the root, the manifest and each proof of a claimed batch, keeping a resumed batch’s manifest', function () {
    const claim = claimBatchSnapshots(index, [key(1, 1), key(1, 2)])!;
    const root = `0x${'ab'.repeat(32)}`;
    const proofs = [[`0x${'0c'.repeat(32)}`], [`0x${'0d'.repeat(32)}`]];
    recordBatchTree(index, claim.batch.id, { root, manifestCid: 'bafy-first', proofs });
    expect(getBatch(index, claim.batch.id)).to.include({ root, manifestCid: 'bafy-first', leafCount: 2 });
    expect(getSnapshot(index, deviceIdOf(1), 2)?.proof).to.deep.equal(proofs[1]);
    recordBatchTree(index, claim.batch.id, { root, manifestCid: 'bafy-second', proofs });
    expect(getBatch(index, claim.batch.id)?.manifestCid).to.equal('bafy-first');
    const other = thrownBy(() =>
      recordBatchTree(index, claim.batch.id, { root: `0x${'ef'.repeat(32)}`, manifestCid: 'x', proofs }),
    );
    expect(other).to.be.instanceOf(IndexError);
    const extra = thrownBy(() =>
      recordBatchTree(index, claim.batch.id, { root, manifestCid: 'x', proofs: [...proofs, []] }),
    );
    expect(extra.message).to.include('does not hold this leaf');
    expect(getSnapshot(index, deviceIdOf(1), 1)?.proof).to.deep.equal(proofs[0]); // rolled back, not cleared
  });
});

describe('oracle index: migration 13 (exactly once)', function () {
  it('starts the replay ledger from the snapshots an older oracle indexed, never lowering it', function () {
    const temp = tempDirectory();
    try {
      const old = openIndex(temp.file, { migrations: MIGRATIONS.slice(0, 12) });
      for (const seq of [4, 9]) insertSnapshot(old, snapshot(1, seq));
      insertSnapshot(old, snapshot(2, 3));
      // The periodic save of an older oracle: behind for device 1, ahead for device 2.
      old.db
        .prepare(`INSERT INTO sequence_ledger (device_id, kind, seq) VALUES (?, 'snapshot', 5), (?, 'snapshot', 7)`)
        .run(deviceIdOf(1), deviceIdOf(2));
      old.close();
      const upgraded = openIndex(temp.file);
      try {
        expect(upgraded.schemaVersion).to.equal(MIGRATIONS.length);
        expect(loadSequenceLedger(upgraded).sort((a, b) => a.deviceId.localeCompare(b.deviceId))).to.deep.equal([
          { deviceId: deviceIdOf(1), kind: 'snapshot', seq: 9 },
          { deviceId: deviceIdOf(2), kind: 'snapshot', seq: 7 },
        ]);
      } finally {
        upgraded.close();
      }
    } finally {
      temp.remove();
    }
  });
});
