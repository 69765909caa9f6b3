import { expect } from 'chai';
import { commitLedgerMessage, commitSnapshot } from '../../../oracle/src/ingest/commitMessages';
import { commitTelemetry } from '../../../oracle/src/ingest/commitTelemetry';
import {
  ensureTelemetryPartitions,
  gapsOf,
  getSnapshot,
  isIndexedMessage,
  readEvents,
  type Store,
} from '../../../store/src';
import { createTestDatabase } from '../../helpers/store';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const snapshot = (n: number, seq: number, hashByte = 'aa') => ({
  deviceId: device(n),
  seq,
  collectedAt: new Date(Date.now() - 1_000).toISOString(),
  hash: `0x${hashByte.repeat(32)}`,
  cid: `bafkrei-${n}-${seq}`,
  receivedAt: Date.now(),
});
const reading = (n: number, seq: number) => ({
  deviceId: device(n),
  seq,
  ts: new Date(Date.now() - 1_000 + seq).toISOString(),
  body: { t: seq },
});

// The store's decision on each accepted message, inside its insert's transaction (issue 15: replay protection
// shared by every instance; a late message filling a gap heals a loss).
describe('oracle: committing accepted messages (the store decides replays)', function () {
  this.timeout(60_000);
  let index: Store;
  let other: Store;
  before(async function () {
    const database = await createTestDatabase();
    index = await database.open();
    other = await database.open(); // a second instance's pool
    await ensureTelemetryPartitions(index, Date.now());
  });
  after(async function () {
    await index.close();
    await other.close();
  });

  it('stores a snapshot once: the same (device, seq) again, from any instance, is a replay; a late one fills its gap', async function () {
    expect((await commitSnapshot(index, snapshot(1, 5))).ok).to.equal(true);
    const again = await commitSnapshot(other, snapshot(1, 5));
    expect(again).to.deep.include({ ok: false });
    expect(!again.ok && again.rejection).to.include({ reason: 'replay', deviceId: device(1), field: 'seq' });
    // Another content under a stored number: refused too, the first kept.
    expect((await commitSnapshot(other, snapshot(1, 5, 'bb'))).ok).to.equal(false);
    expect((await getSnapshot(index, device(1), 5))?.hash).to.equal(`0x${'aa'.repeat(32)}`);
    // A jump opens a gap; the late number fills it and is stored.
    expect((await commitSnapshot(index, snapshot(1, 9))).ok).to.equal(true);
    expect((await gapsOf(index, device(1))).map((gap) => [gap.fromSeq, gap.toSeq])).to.deep.equal([[6, 8]]);
    expect((await commitSnapshot(other, snapshot(1, 7))).ok).to.equal(true);
    expect((await gapsOf(index, device(1))).map((gap) => [gap.fromSeq, gap.toSeq])).to.deep.equal([
      [6, 6],
      [8, 8],
    ]);
    // One outbox event per stored snapshot, none for the replays.
    const { events } = await readEvents(index, { after: 0 });
    expect(events.filter((event) => event.kind === 'snapshot').map((event) => event.payload)).to.deep.equal([
      { seq: 5 },
      { seq: 9 },
      { seq: 7 },
    ]);
  });

  it('stores one of two instances committing the same snapshot at once, the other told it is a replay', async function () {
    const results = await Promise.all([commitSnapshot(index, snapshot(2, 1)), commitSnapshot(other, snapshot(2, 1))]);
    expect(results.map((result) => result.ok).sort()).to.deep.equal([false, true]);
  });

  it('advances the ledger for status and static messages: a number seen before is a replay, except the announced will', async function () {
    expect(
      (await commitLedgerMessage(index, { deviceId: device(3), kind: 'status', seq: 10, willSeq: 9 })).ok,
    ).to.equal(true);
    expect((await commitLedgerMessage(other, { deviceId: device(3), kind: 'status', seq: 10 })).ok).to.equal(false);
    expect((await commitLedgerMessage(other, { deviceId: device(3), kind: 'static', seq: 12 })).ok).to.equal(true);
    // 11 is missing (a gap): a late status with it is accepted; then again it is a replay.
    expect((await commitLedgerMessage(other, { deviceId: device(3), kind: 'status', seq: 11 })).ok).to.equal(true);
    expect((await commitLedgerMessage(index, { deviceId: device(3), kind: 'status', seq: 11 })).ok).to.equal(false);
    // The last will announced (9, below the ledger): accepted as the will.
    const will = { deviceId: device(3), kind: 'status' as const, seq: 9, offline: true };
    expect((await commitLedgerMessage(index, will)).ok).to.equal(true);
    expect((await commitLedgerMessage(index, { ...will, offline: false })).ok).to.equal(false);
  });

  it('keeps the hash of the status or static message a ledger row holds: any instance tells a copy of it from a replay', async function () {
    const hash = (byte: string) => `0x${byte.repeat(32)}`;
    const message = (kind: 'status' | 'static', seq: number) => ({ deviceId: device(4), kind, seq });
    expect((await commitLedgerMessage(index, { ...message('status', 5), hash: hash('5A') })).ok).to.equal(true);
    expect((await commitLedgerMessage(index, { ...message('static', 6), hash: hash('6b') })).ok).to.equal(true);
    // Read through the other instance's pool: the very message (number and hash, any case) is indexed.
    expect(await isIndexedMessage(other, message('status', 5), hash('5a'), { exact: true })).to.equal(true);
    expect(await isIndexedMessage(other, message('static', 6), hash('6B'), { exact: true })).to.equal(true);
    // Another message under that number, another kind, a number the row never held: not this message.
    expect(await isIndexedMessage(other, message('status', 5), hash('5c'), { exact: true })).to.equal(false);
    expect(await isIndexedMessage(other, message('status', 6), hash('6b'), { exact: true })).to.equal(false);
    expect(await isIndexedMessage(other, message('status', 4), hash('5a'), { exact: true })).to.equal(false);
    // Without exact, any number at or below the row's (what a journal replay at start asks).
    expect(await isIndexedMessage(other, message('status', 4), hash('5c'))).to.equal(true);
    // A refused replay leaves the row's hash as it was; the next accepted message replaces it.
    expect((await commitLedgerMessage(other, { ...message('status', 5), hash: hash('5c') })).ok).to.equal(false);
    expect(await isIndexedMessage(index, message('status', 5), hash('5a'), { exact: true })).to.equal(true);
    expect((await commitLedgerMessage(other, { ...message('status', 7), hash: hash('7d') })).ok).to.equal(true);
    expect(await isIndexedMessage(index, message('status', 5), hash('5a'), { exact: true })).to.equal(false);
    expect(await isIndexedMessage(index, message('status', 7), hash('7d'), { exact: true })).to.equal(true);
    // The announced last will (below the ledger's number, accepted as the will): its copy is known on its own row.
    expect((await commitLedgerMessage(index, { ...message('status', 8), willSeq: 3, hash: hash('8e') })).ok).to.equal(
      true,
    );
    const will = { ...message('status', 3), offline: true };
    expect((await commitLedgerMessage(index, { ...will, hash: hash('3f') })).ok).to.equal(true);
    expect(await isIndexedMessage(other, message('status', 3), hash('3f'), { exact: true })).to.equal(true);
    expect(await isIndexedMessage(other, message('status', 3), hash('3e'), { exact: true })).to.equal(false);
    expect(await isIndexedMessage(other, message('status', 8), hash('8e'), { exact: true })).to.equal(true);
  });

  it('records a telemetry batch without the readings the store holds, with one event per device', async function () {
    const first = await commitTelemetry(index, {
      cid: 'bafy-t1',
      readings: [reading(4, 1), reading(4, 2), reading(5, 1)],
    });
    expect(first).to.deep.equal({ replays: [], recorded: 3 });
    // The same readings again (another instance), a reading twice in one batch, and new ones.
    const second = await commitTelemetry(other, {
      cid: 'bafy-t2',
      readings: [reading(4, 2), reading(4, 3), reading(4, 3), reading(5, 1), reading(5, 4)],
    });
    expect(second).to.deep.equal({ replays: [0, 2, 3], recorded: 2 });
    // All replays: nothing recorded, no event.
    expect(await commitTelemetry(index, { cid: 'bafy-t3', readings: [reading(4, 1)] })).to.deep.equal({
      replays: [0],
      recorded: 0,
    });
    const { events } = await readEvents(index, { after: 0, limit: 1_000 });
    const telemetry = events
      .filter((event) => event.kind === 'telemetry')
      .map((event) => [event.deviceId, (event.payload as { seq: number }).seq]);
    expect(telemetry).to.deep.equal([
      [device(4), 2],
      [device(5), 1],
      [device(4), 3],
      [device(5), 4],
    ]);
  });
});
