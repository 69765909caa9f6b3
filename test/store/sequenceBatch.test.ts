import { expect } from 'chai';
import {
  advanceSequenceLedger,
  advanceSequenceLedgers,
  gapsOf,
  loadSequenceLedger,
  withTransaction,
  type SequenceGap,
  type SequenceNote,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const DEVICES = 8;
// Devices 1..8 take the batches through advanceSequenceLedgers (store_advance_sequences, one call per batch),
// devices 101..108 the same numbers one by one through advanceSequenceLedger, each device's in increasing order.
const batchDevice = (i: number) => device(1 + i);
const oneByOneDevice = (i: number) => device(101 + i);

describe('store: a batch of sequence numbers advanced at once, against one at a time', function () {
  this.timeout(120_000);
  let store: Store;
  let other: Store;

  before(async function () {
    const db = await createTestDatabase();
    store = await db.open();
    other = await db.open();
  });

  const heads = async (ids: string[]) => {
    const { rows } = await store.query<{ device_id: string; highest: number }>(
      'SELECT device_id, highest FROM sequence_heads WHERE device_id = ANY($1) ORDER BY device_id',
      [ids],
    );
    return new Map(rows.map((row) => [row.device_id, row.highest]));
  };

  it('gives the same heads, gaps and ledger rows on random batches with duplicates, disorder and gaps', async function () {
    let state = 12_345;
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const pick = (n: number) => Math.floor(random() * n);
    const top = Array.from({ length: DEVICES }, () => 0);
    const notes = new Map<SequenceNote, number>();
    let splitsKept = 0;
    for (let round = 0; round < 30; round += 1) {
      const kind = ['telemetry', 'snapshot', 'will'][round % 3]!;
      const entries: { i: number; seq: number }[] = [];
      for (let i = 0; i < DEVICES; i += 1) {
        if (round > 0 && random() < 0.15) continue; // not in this batch
        const count = 1 + pick(12);
        for (let k = 0; k < count; k += 1) {
          const r = random();
          let seq: number;
          if (r < 0.45) seq = top[i]! + 1 + pick(2); // the next one, or one skipped
          else if (r < 0.6) seq = top[i]! + 2 + pick(20); // a jump
          else if (r < 0.85) seq = Math.max(0, top[i]! - pick(60)); // late: in a gap, or seen
          else seq = entries.length > 0 ? entries[pick(entries.length)]!.seq : top[i]!; // a duplicate (maybe another device's)
          top[i] = Math.max(top[i]!, seq);
          entries.push({ i, seq });
        }
      }
      entries.sort(() => random() - 0.5); // out of order
      const gapsBefore = await Promise.all(Array.from({ length: DEVICES }, (_, i) => gapsOf(store, batchDevice(i))));
      const started = Date.now();

      await withTransaction(store, (tx) =>
        advanceSequenceLedgers(
          tx,
          kind,
          entries.map(({ i }) => batchDevice(i)),
          entries.map(({ seq }) => seq),
        ),
      );
      await withTransaction(store, async (tx) => {
        for (let i = 0; i < DEVICES; i += 1) {
          const seqs = [...new Set(entries.filter((entry) => entry.i === i).map((entry) => entry.seq))];
          for (const seq of seqs.sort((a, b) => a - b)) {
            const { note } = await advanceSequenceLedger(tx, { deviceId: oneByOneDevice(i), kind, seq });
            notes.set(note, (notes.get(note) ?? 0) + 1);
          }
        }
      });

      const batchHeads = await heads(Array.from({ length: DEVICES }, (_, i) => batchDevice(i)));
      const oneHeads = await heads(Array.from({ length: DEVICES }, (_, i) => oneByOneDevice(i)));
      for (let i = 0; i < DEVICES; i += 1) {
        const label = `round ${round}, device ${i}`;
        expect(batchHeads.get(batchDevice(i)), label).to.equal(oneHeads.get(oneByOneDevice(i)));
        const batchGaps = await gapsOf(store, batchDevice(i));
        const oneGaps = await gapsOf(store, oneByOneDevice(i));
        const shape = (gaps: SequenceGap[]) => gaps.map(({ fromSeq, toSeq, missing }) => [fromSeq, toSeq, missing]);
        expect(shape(batchGaps), label).to.deep.equal(shape(oneGaps));
        // A gap inside one from before keeps its detection time (a split or a shrink); any other is new.
        for (const gap of batchGaps) {
          const parent = gapsBefore[i]!.find((old) => old.fromSeq <= gap.fromSeq && gap.toSeq <= old.toSeq);
          if (parent !== undefined) {
            expect(gap.detectedAt, label).to.equal(parent.detectedAt);
            if (parent.fromSeq !== gap.fromSeq || parent.toSeq !== gap.toSeq) splitsKept += 1;
          } else {
            expect(Date.parse(gap.detectedAt), label).to.be.at.least(started - 1_000);
          }
        }
      }
      const ledger = await loadSequenceLedger(store);
      for (let i = 0; i < DEVICES; i += 1) {
        const rows = (id: string) => ledger.filter((row) => row.deviceId === id).map(({ kind: k, seq }) => [k, seq]);
        expect(rows(batchDevice(i)), `ledger, round ${round}, device ${i}`).to.deep.equal(rows(oneByOneDevice(i)));
      }
    }
    // The batches went through every case of the gap rules.
    for (const note of ['first', 'next', 'gap-opened', 'gap-filled', 'seen'] as const) {
      expect(notes.get(note) ?? 0, note).to.be.greaterThan(3);
    }
    expect(splitsKept).to.be.greaterThan(3);
  });

  it('stays exact and deadlock-free with two instances writing batches of new and known devices at once', async function () {
    const ids = [40, 41, 42, 43, 44, 45].map(device);
    const received = new Map(ids.map((id) => [id, new Set<number>()]));
    const batches: { ids: string[]; seqs: number[] }[] = [];
    let state = 99;
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let b = 0; b < 24; b += 1) {
      const batch = { ids: [] as string[], seqs: [] as number[] };
      for (const id of b % 2 === 0 ? ids : [...ids].reverse()) {
        for (let k = 0; k < 4; k += 1) {
          const seq = 1 + Math.floor(random() * 120);
          batch.ids.push(id);
          batch.seqs.push(seq);
          received.get(id)!.add(seq);
        }
      }
      batches.push(batch);
    }
    await Promise.all(
      batches.map((batch, b) =>
        withTransaction(b % 2 === 0 ? store : other, (tx) =>
          advanceSequenceLedgers(tx, 'telemetry', batch.ids, batch.seqs),
        ),
      ),
    );
    // Whatever the commit order, a number is missing when it is between the device's first and highest and unseen,
    // and the first is the lowest of the first batch to commit: every number below it is no gap.
    for (const id of ids) {
      const seen = received.get(id)!;
      const gaps = await gapsOf(store, id);
      const [head] = (await heads([id])).values();
      expect(head).to.equal(Math.max(...seen));
      for (const gap of gaps) {
        for (let seq = gap.fromSeq; seq <= gap.toSeq; seq += 1) expect(seen.has(seq), `${id} ${seq}`).to.equal(false);
      }
      const lowestGap = gaps[0]?.fromSeq ?? head!;
      for (let seq = lowestGap; seq < head!; seq += 1) {
        const inGap = gaps.some((gap) => gap.fromSeq <= seq && seq <= gap.toSeq);
        expect(inGap, `${id} ${seq}`).to.equal(!seen.has(seq));
      }
    }
  });
});
