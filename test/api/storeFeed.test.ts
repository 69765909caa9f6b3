import { expect } from 'chai';
import { createStoreFeed } from '../../api/src/feed/createStoreFeed';
import type { ApiFeed, FeedEventName, FeedItem } from '../../api/src/feed/feedEvents';
import {
  changeCommandStatus,
  expireCommandsAnnounced,
  recordCommand,
  writeDesiredState,
  writeReportedState,
} from '../../api/src/commands/indexWrites';
import {
  attachBatch,
  createBatch,
  ensureTelemetryPartitions,
  insertSnapshot,
  markBatchConfirmed,
  recordEvent,
  recordStateChange,
  recordTelemetryBatch,
  upsertTwin,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const MAKER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const HASH = `0x${'ab'.repeat(32)}`;
const TX = `0x${'12'.repeat(32)}`;
const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as `0x${string}`;

/** Collects the feed's items of some names until `count` arrived (or fails after `ms`). */
function collect(feed: ApiFeed, names: readonly FeedEventName[], count: number, ms = 10_000): Promise<FeedItem[]> {
  const items: FeedItem[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`only ${items.length} of ${count} items: ${JSON.stringify(items.map((item) => item.name))}`));
    }, ms);
    const listeners = names.map((name) => {
      const listener = (_data: unknown, item: FeedItem) => {
        items.push(item);
        if (items.length >= count) {
          stop();
          resolve(items);
        }
      };
      feed.on(name, listener);
      return [name, listener] as const;
    });
    function stop() {
      clearTimeout(timer);
      for (const [name, listener] of listeners) feed.off(name, listener);
    }
  });
}

describe('api: the live feed on the store outbox (createStoreFeed)', function () {
  this.timeout(60_000);
  let store: Store;
  let feed: ApiFeed;
  const errors: unknown[] = [];

  before(async function () {
    store = await (await createTestDatabase()).open();
    for (const n of [1, 2]) {
      await upsertTwin(store, {
        deviceId: deviceIdOf(n),
        owner: ALICE,
        manufacturer: MAKER,
        deviceSigner: MAKER,
        state: 'active',
        forSale: false,
        price: 0n,
        staticHash: HASH,
        staticCid: `bafy-static-${n}`,
        updateCount: 0,
        reviewRequested: false,
        mintedBlock: 1,
        updatedBlock: 1,
      });
    }
    await ensureTelemetryPartitions(store, Date.now());
    feed = createStoreFeed(store, { onError: (error) => errors.push(error) });
    await feed.ready;
  });
  after(async function () {
    await feed.stop();
    await store.close();
  });

  it('maps snapshot, telemetry, anchored and state events to the stream payloads, in commit order', async function () {
    const arrived = collect(feed, ['snapshot', 'telemetry', 'anchored', 'state'], 7);
    const collectedAt = Date.now() - 5_000;
    await withTransaction(store, async (tx) => {
      await insertSnapshot(tx, { deviceId: deviceIdOf(1), seq: 1, collectedAt, hash: HASH, cid: 'bafy-snap-1' });
      await recordEvent(tx, { kind: 'snapshot', deviceId: deviceIdOf(1), payload: { seq: 1 } });
    });
    // The first telemetry event of a device brings its newest reading; the next ones every reading since.
    const telemetry = (cid: string, seqs: number[]) =>
      withTransaction(store, async (tx) => {
        await recordTelemetryBatch(tx, {
          cid,
          messages: seqs.map((seq) => ({
            deviceId: deviceIdOf(1),
            seq,
            ts: Date.now() - 1_000 + seq,
            body: { cpuPercent: seq },
          })),
        });
        await recordEvent(tx, { kind: 'telemetry', deviceId: deviceIdOf(1), payload: { seq: seqs.at(-1) } });
      });
    await telemetry('bafy-telemetry-1', [2, 3]);
    await telemetry('bafy-telemetry-2', [4, 5]);
    const batch = await createBatch(store, { root: `0x${'cd'.repeat(32)}`, manifestCid: 'bafy-m', leafCount: 1 });
    await attachBatch(store, batch.id, [{ deviceId: deviceIdOf(1), seq: 1, leafIndex: 0, proof: [] }]);
    await withTransaction(store, async (tx) => {
      await markBatchConfirmed(tx, batch.id, { txHash: TX, block: 9, gasUsed: 21_000n });
      await recordEvent(tx, { kind: 'anchored', payload: { batchId: batch.id } });
    });
    await withTransaction(store, async (tx) => {
      await recordStateChange(tx, {
        deviceId: deviceIdOf(2),
        previous: 'active',
        new: 'suspended',
        by: MAKER,
        reason: 'why',
        block: 10,
        logIndex: 1,
        tx: TX,
      });
      await recordEvent(tx, { kind: 'state', deviceId: deviceIdOf(2), payload: { block: 10, logIndex: 1 } });
    });
    // An event whose row is gone (a rewind) is skipped, the next one still comes.
    await recordEvent(store, { kind: 'state', deviceId: deviceIdOf(2), payload: { block: 99, logIndex: 0 } });
    await recordEvent(store, { kind: 'snapshot', deviceId: deviceIdOf(1), payload: { seq: 1 } });
    const items = await arrived;
    expect(items.map((item) => item.name)).to.deep.equal([
      'snapshot',
      'telemetry',
      'telemetry',
      'telemetry',
      'anchored',
      'state',
      'snapshot',
    ]);
    expect(items[0]!.data).to.deep.equal({
      deviceId: deviceIdOf(1),
      seq: 1,
      collectedAt: new Date(collectedAt).toISOString(),
      cid: 'bafy-snap-1',
    });
    expect(items.slice(1, 4).map((item) => (item.data as { seq: number }).seq)).to.deep.equal([3, 4, 5]);
    expect(items[1]!.data).to.deep.include({ deviceId: deviceIdOf(1), body: { cpuPercent: 3 } });
    expect(items[4]!.data).to.deep.include({
      batchId: batch.id,
      leafCount: 1,
      deviceIds: [deviceIdOf(1)],
      gasUsed: '21000',
      block: 9,
    });
    expect((items[4]!.data as { secondsToAnchor: number }).secondsToAnchor)
      .to.be.a('number')
      .and.at.least(0);
    expect(items[5]!.data).to.deep.equal({
      deviceId: deviceIdOf(2),
      previous: 'active',
      new: 'suspended',
      by: MAKER,
      reason: 'why',
      block: 10,
      tx: TX,
    });
    // Each item carries its outbox number (the SSE id) and the twins it is about.
    const seqs = items.map((item) => item.seq);
    expect([...seqs].sort((a, b) => a - b)).to.deep.equal(seqs);
    expect(items[2]!.seq).to.equal(items[3]!.seq); // two readings of one telemetry event
    expect(items[0]!.twins.get(deviceIdOf(1))?.owner).to.equal(ALICE);
    expect(errors).to.deep.equal([]);
  });

  it("records the API's command and state-document events with their writes, and none for a refused write", async function () {
    const arrived = collect(feed, ['command', 'state-document'], 5);
    const input = {
      commandId: `0x${'0a'.repeat(32)}` as `0x${string}`,
      deviceId: deviceIdOf(2),
      command: 'ping',
      args: {},
      nonce: '7',
      expiry: Math.floor(Date.now() / 1000) + 60,
      signer: ALICE,
      sig: `0x${'11'.repeat(65)}` as `0x${string}`,
      createdAt: Date.now(),
    };
    // The desired state and the command commit together; a replayed nonce rolls the desired state back.
    expect(
      await recordCommand(
        store,
        input,
        async (tx) =>
          void (await writeDesiredState(tx, deviceIdOf(2), { probes: { usb: true } } as never, 0, Date.now())),
      ),
    ).to.equal(true);
    expect(
      await recordCommand(
        store,
        { ...input, commandId: `0x${'0b'.repeat(32)}` },
        async (tx) => void (await writeDesiredState(tx, deviceIdOf(2), {} as never, 1, Date.now())),
      ),
    ).to.equal(false);
    expect(
      (
        await changeCommandStatus(store, {
          deviceId: deviceIdOf(2),
          commandId: input.commandId,
          status: 'delivered',
          at: Date.now(),
        })
      )?.status,
    ).to.equal('delivered');
    expect(
      await changeCommandStatus(store, {
        deviceId: deviceIdOf(2),
        commandId: input.commandId,
        status: 'pending',
        at: Date.now(),
      }),
    ).to.equal(undefined);
    expect(await writeReportedState(store, deviceIdOf(2), { probes: { usb: true } } as never, Date.now())).to.equal(
      true,
    );
    expect(await writeReportedState(store, deviceIdOf(2), { probes: { usb: true } } as never, Date.now())).to.equal(
      false,
    );
    await recordCommand(store, {
      ...input,
      commandId: `0x${'0c'.repeat(32)}`,
      nonce: '8',
      expiry: Math.floor(Date.now() / 1000) - 1,
    });
    const items = await arrived;
    expect(items.map((item) => item.name)).to.deep.equal([
      'state-document',
      'command',
      'command',
      'state-document',
      'command',
    ]);
    expect(items[0]!.data).to.deep.include({ deviceId: deviceIdOf(2), version: 1 });
    // Read back by id when announced: the status it has then (pending, or already delivered).
    expect(items[1]!.data).to.deep.include({ commandId: input.commandId });
    expect(items[2]!.data).to.deep.include({ status: 'delivered' });
    expect((items[3]!.data as { reported: unknown }).reported).to.deep.equal({ probes: { usb: true } });
    const expired = collect(feed, ['command'], 1);
    expect(await expireCommandsAnnounced(store, Date.now())).to.equal(1);
    expect((await expired)[0]!.data).to.deep.include({ commandId: `0x${'0c'.repeat(32)}`, status: 'expired' });
  });

  it('replays what a resuming client missed, from its last event id', async function () {
    const before = feed.cursor!;
    const live = collect(feed, ['snapshot'], 2);
    for (const seq of [4, 5]) {
      await withTransaction(store, async (tx) => {
        await insertSnapshot(tx, {
          deviceId: deviceIdOf(1),
          seq,
          collectedAt: Date.now(),
          hash: HASH,
          cid: `bafy-snap-${seq}`,
        });
        await recordEvent(tx, { kind: 'snapshot', deviceId: deviceIdOf(1), payload: { seq } });
      });
    }
    const [first, second] = await live;
    const replayed = await feed.replay(before);
    expect(replayed.skipped).to.equal(false);
    expect(replayed.items.map((item) => [item.name, item.seq])).to.deep.equal([
      ['snapshot', first!.seq],
      ['snapshot', second!.seq],
    ]);
    expect(replayed.through).to.equal(second!.seq);
    expect((await feed.replay(second!.seq)).items).to.deep.equal([]);
  });

  it('reads nothing for kinds nobody listens to, and stops cleanly', async function () {
    const other = createStoreFeed(store);
    await other.ready;
    await recordEvent(store, { kind: 'snapshot', deviceId: deviceIdOf(1), payload: { seq: 1 } });
    const deadline = Date.now() + 5_000;
    while (other.stats().events === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(other.stats()).to.deep.include({ events: 1, emitted: 0, errors: 0 });
    await other.stop();
    await other.stop(); // twice does nothing
  });
});
