import { expect } from 'chai';
import { ResendBuffer } from '../../../agent/src/transport/resendBuffer';

const DEVICE = '0x' + 'ab'.repeat(32);
const OTHER = '0x' + 'cd'.repeat(32);
const entry = (seq: number, bytes = 100) => ({
  topic: `twins/x/telemetry`,
  payload: `${seq}:`.padEnd(bytes, 'x'),
  retain: false,
});

describe("ResendBuffer: what a device keeps for its owner's resend command", function () {
  it('answers a range in sequence order, skipping numbers it never kept, with what it holds', function () {
    const kept = new ResendBuffer({ maxBytes: 1_000_000 });
    for (const seq of [5, 7, 6, 10, 9]) kept.record(DEVICE, seq, entry(seq));
    const range = kept.range(DEVICE, 6, 9);
    expect(range.entries.map((item) => item.payload.split(':')[0])).to.deep.equal(['6', '7', '9']);
    expect(range).to.include({ heldFrom: 5, heldTo: 10 });
    // A wide range over few kept numbers is answered the same way (the other path).
    expect(kept.range(DEVICE, 0, 1_000_000).entries).to.have.length(5);
    expect(kept.range(DEVICE.toUpperCase().replace('0X', '0x'), 10, 10).entries).to.have.length(1);
  });

  it('keeps devices apart', function () {
    const kept = new ResendBuffer({ maxBytes: 1_000_000 });
    kept.record(DEVICE, 1, entry(1));
    kept.record(OTHER, 1, entry(101));
    expect(kept.range(DEVICE, 1, 1).entries[0]!.payload).to.match(/^1:/);
    expect(kept.range(OTHER, 1, 1).entries[0]!.payload).to.match(/^101:/);
    expect(kept.range('0x' + '00'.repeat(32), 0, 10)).to.deep.equal({ entries: [], heldFrom: null, heldTo: null });
  });

  it('forgets the oldest beyond its byte bound, counting them', function () {
    const kept = new ResendBuffer({ maxBytes: 1_000 });
    for (let seq = 1; seq <= 25; seq++) kept.record(seq % 2 === 0 ? DEVICE : OTHER, seq, entry(seq, 100));
    expect(kept.keptBytes).to.equal(1_000);
    expect(kept.size).to.equal(10);
    expect(kept.forgotten).to.equal(15);
    // The ten newest (16-25) remain, five a device.
    expect(kept.range(DEVICE, 0, 100)).to.include({ heldFrom: 16, heldTo: 24 });
    expect(kept.range(OTHER, 0, 100)).to.include({ heldFrom: 17, heldTo: 25 });
  });

  it('forgets the oldest beyond its message bound, and keeps nothing larger than its byte bound', function () {
    const kept = new ResendBuffer({ maxBytes: 1_000, maxMessages: 3 });
    for (let seq = 1; seq <= 6; seq++) kept.record(DEVICE, seq, entry(seq, 10));
    expect(kept.range(DEVICE, 0, 10).entries.map((item) => item.payload.split(':')[0])).to.deep.equal(['4', '5', '6']);
    kept.record(DEVICE, 7, entry(7, 1_001));
    expect(kept.range(DEVICE, 7, 7).entries).to.have.length(0);
    const none = new ResendBuffer({ maxBytes: 0 });
    none.record(DEVICE, 1, entry(1));
    expect(none.size).to.equal(0);
  });

  it('counts a number recorded again once, with the later payload', function () {
    const kept = new ResendBuffer({ maxBytes: 1_000 });
    kept.record(DEVICE, 1, entry(1, 100));
    kept.record(DEVICE, 1, { ...entry(1, 200), payload: '1:again'.padEnd(200, 'y') });
    expect(kept.size).to.equal(1);
    expect(kept.keptBytes).to.equal(200);
    expect(kept.range(DEVICE, 1, 1).entries[0]!.payload).to.match(/^1:again/);
  });

  it('refuses a bound that is no whole number, naming it', function () {
    expect(() => new ResendBuffer({ maxBytes: -1 })).to.throw(/maxBytes/);
    expect(() => new ResendBuffer({ maxBytes: 1.5 })).to.throw(/maxBytes/);
    expect(() => new ResendBuffer({ maxBytes: 10, maxMessages: -2 })).to.throw(/maxMessages/);
  });
});
