import { expect } from 'chai';
import { Batcher, type BatchTimers, type PendingSnapshot } from '../../../oracle/src/anchor/batcher';

/** Timers whose clock only moves when the test says so. */
function fakeTimers() {
  let now = 0;
  let scheduled: { at: number; callback: () => void } | undefined;
  const timers: BatchTimers = {
    now: () => now,
    setTimeout: (callback, ms) => (scheduled = { at: now + ms, callback }),
    clearTimeout: () => (scheduled = undefined),
  };
  return {
    timers,
    advance(ms: number) {
      now += ms;
      if (scheduled && scheduled.at <= now) {
        const { callback } = scheduled;
        scheduled = undefined;
        callback();
      }
    },
    get now() {
      return now;
    },
  };
}

const snapshot = (device: number, sequence: number, receivedAt: number): PendingSnapshot => ({
  deviceId: BigInt(device),
  sequence: BigInt(sequence),
  snapshotHash: `0x${sequence.toString(16).padStart(64, '0')}`,
  cid: `bafk-${device}-${sequence}`,
  receivedAt,
});

describe('Batcher', function () {
  it('closes a batch at the size limit, in arrival order', async function () {
    const clock = fakeTimers();
    const batches: PendingSnapshot[][] = [];
    const batcher = new Batcher({
      maxSize: 3,
      maxAgeMs: 5_000,
      timers: clock.timers,
      onBatch: async (batch) => void batches.push(batch),
    });
    for (let seq = 0; seq < 7; seq++) batcher.add(snapshot(1, seq, clock.now));
    await batcher.flush();
    expect(batches.map((batch) => batch.map((leaf) => Number(leaf.sequence)))).to.deep.equal([
      [0, 1, 2],
      [3, 4, 5],
      [6],
    ]);
  });

  it('closes a batch when its oldest snapshot reaches the age limit', async function () {
    const clock = fakeTimers();
    const batches: PendingSnapshot[][] = [];
    const batcher = new Batcher({
      maxSize: 100,
      maxAgeMs: 5_000,
      timers: clock.timers,
      onBatch: async (batch) => void batches.push(batch),
    });
    batcher.add(snapshot(1, 1, clock.now));
    clock.advance(3_000);
    batcher.add(snapshot(2, 1, clock.now));
    clock.advance(1_999);
    expect(batches).to.have.length(0);
    clock.advance(1);
    await batcher.flush();
    expect(batches).to.have.length(1);
    expect(batches[0]).to.have.length(2);
  });

  it('ignores a snapshot already pending (a redelivery) so it anchors once', async function () {
    const clock = fakeTimers();
    const batches: PendingSnapshot[][] = [];
    const batcher = new Batcher({
      maxSize: 10,
      maxAgeMs: 5_000,
      timers: clock.timers,
      onBatch: async (batch) => void batches.push(batch),
    });
    expect(batcher.add(snapshot(1, 1, 0))).to.equal(true);
    expect(batcher.add(snapshot(1, 1, 0))).to.equal(false);
    expect(batcher.add(snapshot(2, 1, 0))).to.equal(true);
    await batcher.flush();
    expect(batches[0]).to.have.length(2);
  });

  it('hands batches over one at a time, even when the consumer is slow', async function () {
    const clock = fakeTimers();
    const events: string[] = [];
    const batcher = new Batcher({
      maxSize: 1,
      maxAgeMs: 5_000,
      timers: clock.timers,
      onBatch: async (batch) => {
        events.push(`start ${batch[0]!.sequence}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        events.push(`end ${batch[0]!.sequence}`);
      },
    });
    batcher.add(snapshot(1, 1, 0));
    batcher.add(snapshot(1, 2, 0));
    await batcher.flush();
    expect(events).to.deep.equal(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  describe('when several batches may be in flight', function () {
    /** A consumer whose batches settle only when the test releases them. */
    function heldConsumer() {
      const started: number[][] = [];
      const releases: (() => void)[] = [];
      return {
        started,
        onBatch: (batch: PendingSnapshot[]) => {
          started.push(batch.map((leaf) => Number(leaf.sequence)));
          return new Promise<void>((resolve) => releases.push(resolve));
        },
        release: async (index: number) => {
          releases[index]!();
          await new Promise((resolve) => setImmediate(resolve));
        },
      };
    }

    it('hands over up to maxInFlight batches at once, in closing order', async function () {
      const clock = fakeTimers();
      const consumer = heldConsumer();
      const batcher = new Batcher({ maxSize: 2, maxAgeMs: 5_000, maxInFlight: 2, timers: clock.timers, ...consumer });
      for (let seq = 0; seq < 6; seq++) batcher.add(snapshot(1, seq, clock.now));
      expect(consumer.started).to.deep.equal([
        [0, 1],
        [2, 3],
      ]);
      expect(batcher.handedOver).to.equal(2);
      await consumer.release(1);
      expect(consumer.started).to.deep.equal([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      const flushed = batcher.flush();
      await consumer.release(0);
      await consumer.release(2);
      await flushed;
      expect(batcher.handedOver).to.equal(0);
    });

    it('keeps an aged batch open while every slot is taken, and closes it (grown) when one frees', async function () {
      const clock = fakeTimers();
      const consumer = heldConsumer();
      const batcher = new Batcher({ maxSize: 100, maxAgeMs: 5_000, maxInFlight: 1, timers: clock.timers, ...consumer });
      batcher.add(snapshot(1, 0, clock.now));
      clock.advance(5_000);
      expect(consumer.started).to.deep.equal([[0]]);
      batcher.add(snapshot(1, 1, clock.now));
      clock.advance(5_000);
      batcher.add(snapshot(1, 2, clock.now));
      batcher.add(snapshot(1, 3, clock.now));
      clock.advance(5_000);
      expect(consumer.started).to.have.length(1);
      expect(batcher.size).to.equal(3);
      await consumer.release(0);
      expect(consumer.started).to.deep.equal([[0], [1, 2, 3]]);
      expect(batcher.size).to.equal(0);
      const flushed = batcher.flush();
      await consumer.release(1);
      await flushed;
    });

    it('still closes at the size limit while every slot is taken, and hands the full batches over in order', async function () {
      const clock = fakeTimers();
      const consumer = heldConsumer();
      const batcher = new Batcher({ maxSize: 2, maxAgeMs: 5_000, maxInFlight: 1, timers: clock.timers, ...consumer });
      for (let seq = 0; seq < 5; seq++) batcher.add(snapshot(1, seq, clock.now));
      expect(consumer.started).to.deep.equal([[0, 1]]);
      const flushed = batcher.flush();
      await consumer.release(0);
      await consumer.release(1);
      await consumer.release(2);
      await flushed;
      expect(consumer.started).to.deep.equal([[0, 1], [2, 3], [4]]);
    });
  });
});
