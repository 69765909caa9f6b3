import { expect } from 'chai';
import {
  advanceSequenceLedger,
  advanceSequenceLedgers,
  gapTotals,
  gapsOf,
  givenUpGaps,
  loadStoreConfig,
  maintainSequenceGaps,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf, thrownBy } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const ranges = (gaps: { fromSeq: number; toSeq: number }[]) => gaps.map((gap) => [gap.fromSeq, gap.toSeq]);
const HOUR = 3_600_000;

describe('store: bounded sequence gaps', function () {
  this.timeout(120_000);
  let store: Store;

  before(async function () {
    store = await (await createTestDatabase()).open();
  });

  it('reads the cap and the expiry from the config, 64 and 24 hours by default', function () {
    expect(loadStoreConfig({ environment: {} })).to.include({ maxOpenGapsPerDevice: 64, gapExpiryHours: 24 });
    expect(loadStoreConfig({ environment: { STORE_MAX_OPEN_GAPS: '4', STORE_GAP_EXPIRY_HOURS: '0.5' } })).to.include({
      maxOpenGapsPerDevice: 4,
      gapExpiryHours: 0.5,
    });
    const bad = thrownBy(() => loadStoreConfig({ environment: { STORE_MAX_OPEN_GAPS: '0' } }));
    expect((bad as Error & { issues: string[] }).issues.join('\n')).to.contain('STORE_MAX_OPEN_GAPS');
  });

  it('keeps at most the cap of open gaps a device, giving up the lowest and counting them', async function () {
    expect(await maintainSequenceGaps(store, { maxOpenGapsPerDevice: 4, gapExpiryHours: 0 })).to.deep.equal({
      gaps: 0,
      missing: 0,
    });
    // One batch: 0, 2, 4, …, 20 opens 10 gaps of one number; 4 stay.
    const seqs = Array.from({ length: 11 }, (_, i) => i * 2);
    await withTransaction(store, (tx) =>
      advanceSequenceLedgers(
        tx,
        'telemetry',
        seqs.map(() => device(1)),
        seqs,
      ),
    );
    expect(ranges(await gapsOf(store, device(1)))).to.deep.equal([
      [13, 13],
      [15, 15],
      [17, 17],
      [19, 19],
    ]);
    expect(await givenUpGaps(store, device(1))).to.deep.equal({ gaps: 6, missing: 6 });
    // One number at a time: each jump past the cap gives up the lowest.
    for (const seq of [0, 10, 20, 30, 40, 50, 60]) {
      await withTransaction(store, (tx) => advanceSequenceLedger(tx, { deviceId: device(2), kind: 'snapshot', seq }));
    }
    expect(ranges(await gapsOf(store, device(2)))).to.deep.equal([
      [21, 29],
      [31, 39],
      [41, 49],
      [51, 59],
    ]);
    expect(await givenUpGaps(store, device(2))).to.deep.equal({ gaps: 2, missing: 18 });
    // A split counts as a gap more: the lowest goes.
    await withTransaction(store, (tx) => advanceSequenceLedger(tx, { deviceId: device(2), kind: 'snapshot', seq: 55 }));
    expect(ranges(await gapsOf(store, device(2)))).to.deep.equal([
      [31, 39],
      [41, 49],
      [51, 54],
      [56, 59],
    ]);
    expect(await givenUpGaps(store)).to.deep.equal({ gaps: 9, missing: 33 });
    expect((await gapTotals(store)).openGaps).to.equal(8);
  });

  it('lowers the cap of every device when the upkeep runs with a lower one', async function () {
    expect(await maintainSequenceGaps(store, { maxOpenGapsPerDevice: 2, gapExpiryHours: 0 })).to.deep.equal({
      gaps: 4,
      missing: 1 + 1 + 9 + 9,
    });
    expect(ranges(await gapsOf(store, device(1)))).to.deep.equal([
      [17, 17],
      [19, 19],
    ]);
    expect(ranges(await gapsOf(store, device(2)))).to.deep.equal([
      [51, 54],
      [56, 59],
    ]);
  });

  it('gives up the gaps older than the expiry, and no younger one', async function () {
    const now = Date.now();
    await withTransaction(store, (tx) =>
      advanceSequenceLedger(tx, { deviceId: device(1), kind: 'telemetry', seq: 30 }),
    );
    expect(ranges(await gapsOf(store, device(1)))).to.deep.equal([
      [19, 19],
      [21, 29],
    ]);
    expect(await maintainSequenceGaps(store, { maxOpenGapsPerDevice: 2, now: now + 23 * HOUR })).to.deep.equal({
      gaps: 0,
      missing: 0,
    });
    expect(await maintainSequenceGaps(store, { maxOpenGapsPerDevice: 2, now: now + 25 * HOUR })).to.deep.equal({
      gaps: 4,
      missing: 1 + 9 + 4 + 4,
    });
    expect(await gapTotals(store)).to.deep.equal({ devices: 0, openGaps: 0, missing: 0 });
    expect(await givenUpGaps(store, device(1))).to.deep.equal({ gaps: 6 + 2 + 1 + 2, missing: 6 + 2 + 1 + 10 });
  });

  it('refuses a bad cap or expiry, naming it', async function () {
    expect((await rejectionOf(maintainSequenceGaps(store, { maxOpenGapsPerDevice: 0 }))).message).to.contain(
      'maxOpenGapsPerDevice',
    );
    expect((await rejectionOf(maintainSequenceGaps(store, { gapExpiryHours: -1 }))).message).to.contain(
      'gapExpiryHours',
    );
  });
});
