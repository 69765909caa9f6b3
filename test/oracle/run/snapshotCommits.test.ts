import { expect } from 'chai';
import { createSnapshotCommits } from '../../../oracle/src/run/snapshotCommits';
import { gapsOf, getSnapshot, loadSequenceLedger, readEvents, type Store } from '../../../store/src';
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

// Group commit of snapshots (issue 15, ingest performance): one transaction for the snapshots accepted meanwhile,
// each with the result a transaction of its own would have given it.
describe('oracle: snapshot commits grouped in transactions', function () {
  this.timeout(60_000);
  let index: Store;
  let other: Store;
  before(async function () {
    const database = await createTestDatabase();
    index = await database.open();
    other = await database.open(); // a second instance's pool
  });
  after(async function () {
    await index.close();
    await other.close();
  });

  it('stores snapshots accepted at once in fewer transactions, each once, with one event each and the ledger advanced', async function () {
    const commits = createSnapshotCommits({ index, maxPerTransaction: 16 });
    const accepted = Array.from({ length: 40 }, (_, n) => snapshot(100 + (n % 20), 1 + Math.floor(n / 20)));
    // Each device's snapshots in order, as the ingestion commits them: the second waits for the first's result.
    const firsts = accepted.slice(0, 20).map((item) => commits.commit(item));
    const seconds = accepted.slice(20).map((item, n) => firsts[n]!.then(() => commits.commit(item)));
    const results = await Promise.all([...firsts, ...seconds]);
    expect(results.every((result) => result.ok)).to.equal(true);
    expect(commits.counters.snapshots).to.equal(40);
    expect(commits.counters.transactions).to.be.within(3, 20);
    for (const item of accepted) expect((await getSnapshot(index, item.deviceId, item.seq))?.cid).to.equal(item.cid);
    const { events } = await readEvents(index, { after: 0 });
    expect(events.filter((event) => event.kind === 'snapshot')).to.have.length(40);
    const ledger = await loadSequenceLedger(index);
    const snapshotRows = ledger.filter((entry) => entry.kind === 'snapshot' && entry.deviceId.endsWith('64'));
    expect(snapshotRows.map((entry) => entry.seq)).to.deep.equal([2]); // device 100 (0x…64): its highest
  });

  it('refuses in a set what any instance stored before as a replay, stores the rest and accounts for gaps', async function () {
    const commits = createSnapshotCommits({ index });
    const elsewhere = createSnapshotCommits({ index: other });
    expect((await elsewhere.commit(snapshot(1, 5))).ok).to.equal(true);
    const results = await Promise.all([
      commits.commit(snapshot(1, 5, 'bb')),
      commits.commit(snapshot(2, 1)),
      commits.commit(snapshot(3, 4)),
    ]);
    expect(results.map((result) => result.ok)).to.deep.equal([false, true, true]);
    expect(!results[0]!.ok && results[0]!.rejection).to.include({
      reason: 'replay',
      deviceId: device(1),
      field: 'seq',
    });
    expect((await getSnapshot(index, device(1), 5))?.hash).to.equal(`0x${'aa'.repeat(32)}`);
    // A jump opens a gap, the late number fills it, as one transaction per snapshot did.
    expect((await commits.commit(snapshot(1, 9))).ok).to.equal(true);
    expect((await gapsOf(index, device(1))).map((gap) => [gap.fromSeq, gap.toSeq])).to.deep.equal([[6, 8]]);
    expect((await commits.commit(snapshot(1, 7))).ok).to.equal(true);
    expect((await gapsOf(index, device(1))).map((gap) => [gap.fromSeq, gap.toSeq])).to.deep.equal([
      [6, 6],
      [8, 8],
    ]);
  });

  it('stores each snapshot once when two instances commit the same sets at once', async function () {
    const ours = createSnapshotCommits({ index, maxPerTransaction: 8 });
    const theirs = createSnapshotCommits({ index: other, maxPerTransaction: 8 });
    const accepted = Array.from({ length: 30 }, (_, n) => snapshot(200 + n, 1));
    const results = await Promise.all([
      ...accepted.map((item) => ours.commit(item)),
      ...[...accepted].reverse().map((item) => theirs.commit(item)),
    ]);
    const stored = results.filter((result) => result.ok).length;
    expect(stored).to.equal(30);
    const { events } = await readEvents(index, { after: 0, limit: 1_000 });
    const payloads = events.filter((event) => event.kind === 'snapshot' && Number(event.deviceId) >= 200);
    expect(payloads).to.have.length(30);
  });

  it('fails only the snapshot the store refuses when a set is rolled back by a lasting error', async function () {
    const commits = createSnapshotCommits({ index });
    const results = await Promise.allSettled([
      commits.commit(snapshot(300, 1)),
      commits.commit({ ...snapshot(301, 1), hash: 'nope' }),
      commits.commit(snapshot(302, 1)),
    ]);
    expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/hash/i);
    expect(commits.counters.split).to.equal(1);
    expect(await getSnapshot(index, device(300), 1)).to.not.equal(undefined);
    expect(await getSnapshot(index, device(301), 1)).to.equal(undefined);
  });
});
