import { expect } from 'chai';
import {
  advanceSequenceLedger,
  isIndexedMessage,
  loadSequenceLedger,
  readSequenceLedger,
} from '../../../oracle/src/index/sequenceLedger';
import { openIndex } from '../../../oracle/src/index/openIndex';
import { acceptSnapshot, getSnapshot, insertSnapshot } from '../../../oracle/src/index/snapshots';
import { recordTelemetryBatch } from '../../../oracle/src/index/telemetry';
import { deviceIdOf, tempIndex } from './tempIndex';

const DEVICE = deviceIdOf(0xab);
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function snapshot(seq: number) {
  return {
    deviceId: DEVICE,
    seq,
    collectedAt: T0 + seq,
    hash: `0x${seq.toString(16).padStart(64, '0')}`,
    cid: `bafkrei-${seq}`,
    receivedAt: T0 + seq,
  };
}

describe('oracle index: sequence ledger', function () {
  let temp: ReturnType<typeof tempIndex>;
  beforeEach(function () {
    temp = tempIndex();
  });
  afterEach(function () {
    temp.close();
  });

  it('keeps the highest number per device and kind, and the latest announced will', function () {
    advanceSequenceLedger(temp.index, [
      { deviceId: DEVICE, kind: 'telemetry', seq: 10 },
      { deviceId: DEVICE, kind: 'will', seq: 7 },
    ]);
    advanceSequenceLedger(temp.index, [
      { deviceId: DEVICE, kind: 'telemetry', seq: 4 },
      { deviceId: DEVICE, kind: 'will', seq: 3 },
      { deviceId: DEVICE, kind: 'snapshot', seq: 5 },
    ]);
    const rows = loadSequenceLedger(temp.index).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(rows).to.deep.equal([
      { deviceId: DEVICE, kind: 'snapshot', seq: 5 },
      { deviceId: DEVICE, kind: 'telemetry', seq: 10 },
      { deviceId: DEVICE, kind: 'will', seq: 3 },
    ]);
  });

  it('advances with the snapshot insert, and what a reopened index starts from is what it holds', function () {
    acceptSnapshot(temp.index, snapshot(3));
    acceptSnapshot(temp.index, snapshot(8));
    insertSnapshot(temp.index, snapshot(12)); // another instance's, imported: not this ledger's
    temp.index.close();
    const reopened = openIndex(temp.file);
    try {
      expect(loadSequenceLedger(reopened)).to.deep.equal([{ deviceId: DEVICE, kind: 'snapshot', seq: 8 }]);
      expect(readSequenceLedger(reopened).last(DEVICE, 'snapshot')).to.equal(8);
    } finally {
      reopened.close();
    }
  });

  it('does not advance when the snapshot insert rolls back, nor keep the snapshot when the ledger write fails', function () {
    acceptSnapshot(temp.index, snapshot(3));
    // The insert fails in SQLite itself (a trigger standing for a full disk).
    temp.index.db.exec(
      `CREATE TEMP TRIGGER no_insert BEFORE INSERT ON snapshots BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    expect(() => acceptSnapshot(temp.index, snapshot(4))).to.throw(/disk full/);
    expect(readSequenceLedger(temp.index).last(DEVICE, 'snapshot')).to.equal(3);
    temp.index.db.exec('DROP TRIGGER no_insert');

    // The ledger write fails after the insert: the insert goes too.
    temp.index.db.exec(
      `CREATE TEMP TRIGGER no_ledger BEFORE UPDATE ON sequence_ledger BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    expect(() => acceptSnapshot(temp.index, snapshot(5))).to.throw(/disk full/);
    expect(getSnapshot(temp.index, DEVICE, 5)).to.equal(undefined);
    expect(readSequenceLedger(temp.index).last(DEVICE, 'snapshot')).to.equal(3);
    temp.index.db.exec('DROP TRIGGER no_ledger');

    // Rolled back by the caller's transaction: neither stays.
    expect(() =>
      temp.index.transaction(() => {
        acceptSnapshot(temp.index, snapshot(6));
        throw new Error('crash before the commit');
      }),
    ).to.throw(/crash/);
    expect(getSnapshot(temp.index, DEVICE, 6)).to.equal(undefined);
    expect(readSequenceLedger(temp.index).last(DEVICE, 'snapshot')).to.equal(3);
  });

  it('advances each device’s telemetry row with its telemetry batch, to its highest number in it', function () {
    const other = deviceIdOf(0xcd);
    recordTelemetryBatch(temp.index, {
      cid: 'bafy-telemetry-1',
      messages: [
        { deviceId: DEVICE, seq: 21, ts: new Date(T0).toISOString(), body: { t: 1 } },
        { deviceId: other, seq: 5, ts: new Date(T0).toISOString(), body: { t: 2 } },
        { deviceId: DEVICE, seq: 23, ts: new Date(T0 + 1).toISOString(), body: { t: 3 } },
      ],
    });
    expect(readSequenceLedger(temp.index).last(DEVICE, 'telemetry')).to.equal(23);
    expect(readSequenceLedger(temp.index).last(other, 'telemetry')).to.equal(5);
  });

  it('tells a message the index holds (a journal entry processed before a crash) from a replay', function () {
    acceptSnapshot(temp.index, snapshot(3));
    acceptSnapshot(temp.index, snapshot(8));
    const held = (seq: number, hash: string) =>
      isIndexedMessage(temp.index, { deviceId: DEVICE, kind: 'snapshot', seq }, hash);
    expect(held(3, snapshot(3).hash)).to.equal(true);
    expect(held(3, snapshot(4).hash)).to.equal(false); // same number, other content
    expect(held(5, snapshot(5).hash)).to.equal(false); // below the ledger, never indexed
    expect(held(9, snapshot(9).hash)).to.equal(false); // above the ledger: new

    recordTelemetryBatch(temp.index, {
      cid: 'bafy-telemetry-2',
      messages: [{ deviceId: DEVICE, seq: 30, ts: new Date(T0).toISOString(), body: { t: 1 } }],
    });
    const telemetry = (seq: number, body: unknown) =>
      isIndexedMessage(temp.index, { deviceId: DEVICE, kind: 'telemetry', seq, body }, '0x');
    expect(telemetry(30, { t: 1 })).to.equal(true);
    expect(telemetry(30, { t: 2 })).to.equal(false);
    expect(telemetry(31, { t: 1 })).to.equal(false);
  });
});
