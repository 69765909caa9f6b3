import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceChannel } from '../../../agent/src/device/deviceChannel';
import { createVirtualDevice } from '../../../agent/src/simulate/device';
import { createReceiver, type CreateReceiverParameters } from '../../../oracle/src/ingest/createReceiver';
import { Journal } from '../../../oracle/src/ingest/journal';
import type { Rejection } from '../../../oracle/src/ingest/rejections';
import { waitUntil } from '../../helpers/brokers';

describe('createReceiver (the envelope check, the journal, then the acknowledgement)', function () {
  const device = createVirtualDevice('receiver', 1);
  let seq = 1;
  const channel = new DeviceChannel({
    deviceId: device.deviceId,
    key: device.privateKey,
    sequence: { next: () => seq++ },
  });
  /** A genuine envelope around a body of about `bytes` (the journal and the receiver never judge the body). */
  const message = (bytes = 100) => {
    const entry = channel.entry('status', { state: 'offline', reason: 'shutdown' });
    const json = JSON.parse(entry.payload) as Record<string, unknown>;
    json.body = { padding: 'x'.repeat(bytes) };
    return { topic: entry.topic, payload: Buffer.from(JSON.stringify(json)) };
  };

  let directory: string;
  let journal: Journal;
  let refused: Rejection[];
  let processed: number[];
  let logged: string[];
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'receiver-'));
    refused = [];
    processed = [];
    logged = [];
  });
  afterEach(() => {
    journal?.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const receiverWith = (overrides: Partial<CreateReceiverParameters> = {}) =>
    createReceiver({
      journal,
      maxPayloadBytes: 1_048_576,
      maxQueuedBytes: 64 << 20,
      refuse: (rejection) => refused.push(rejection),
      process: async (offset) => {
        processed.push(offset);
        journal.complete(offset);
      },
      log: (level, text, fields) => logged.push(`${level}: ${text}${fields?.reason ? ` (${fields.reason})` : ''}`),
      ...overrides,
    });

  it('refuses junk before the disk (counted with its reason, acknowledged, never journaled)', function () {
    journal = new Journal({ directory });
    const receiver = receiverWith();
    let acks = 0;
    const { topic } = message();
    receiver.receive(
      topic,
      Buffer.from([0, 1, 2, 3]),
      1,
      () => acks++,
      () => true,
    );
    receiver.receive(
      topic,
      Buffer.from('{"v":1,"kind":"status"}'),
      2,
      () => acks++,
      () => true,
    );
    expect(refused.map((rejection) => rejection.reason)).to.deep.equal(['not-json', 'invalid-schema']);
    expect(acks).to.equal(2);
    expect(journal.stats()).to.deep.include({ bytes: 0, segments: 0 });
    expect(processed).to.deep.equal([]);
  });

  it('journals a well-formed message before acknowledging it, then hands it on', function () {
    journal = new Journal({ directory });
    const receiver = receiverWith();
    const { topic, payload } = message();
    let onDiskAtAck: number | undefined;
    receiver.receive(
      topic,
      payload,
      1,
      () => (onDiskAtAck = [...new Journal({ directory }).replay()].length),
      () => true,
    );
    expect(onDiskAtAck).to.equal(1);
    expect(processed).to.deep.equal([0]);
  });

  describe('when the journal is full', function () {
    it('holds the acknowledgement (logged once, counted), and takes the message once processing frees room', async function () {
      journal = new Journal({ directory, segmentBytes: 100_000, maxBytes: 200_000 });
      const pending: number[] = [];
      // Processing stalls: nothing completes until released.
      const receiver = receiverWith({ process: async (offset) => void pending.push(offset) });
      let acks = 0;
      for (let n = 0; n < 6; n++) {
        const { topic, payload } = message(40_000);
        receiver.receive(
          topic,
          payload,
          n,
          () => acks++,
          () => true,
        );
      }
      // 40 kB each: four fit within 200 kB (with room for one segment's rotation), the fifth waits.
      expect(acks).to.be.within(3, 4);
      expect(receiver.stats()).to.deep.include({ holding: true });
      expect(logged).to.deep.equal(['warn: acknowledgements held (journal full)']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const heldAcks = acks;
      expect(heldAcks).to.be.below(6); // still held: nothing was processed
      // Processing catches up: the processed segments are dropped and the held messages taken, in order.
      await waitUntil(
        () => {
          for (const offset of pending.splice(0)) journal.complete(offset);
          return acks === 6;
        },
        5_000,
        'every held message to be taken',
      );
      expect(logged.at(-1)).to.equal('info: acknowledgements resumed');
      expect(receiver.stats().held).to.be.at.least(1);
      expect(journal.stats().bytes).to.be.at.most(200_000);
      receiver.close();
    });

    it('gives a held message up unjournaled and unacknowledged when its connection was replaced (the broker sends it again)', async function () {
      journal = new Journal({ directory, segmentBytes: 100_000, maxBytes: 200_000 });
      const receiver = receiverWith({ process: async () => undefined });
      let connection = 1;
      let acks = 0;
      for (let n = 0; n < 6; n++) {
        const { topic, payload } = message(40_000);
        const deliveredOn = connection;
        receiver.receive(
          topic,
          payload,
          n,
          () => acks++,
          () => connection === deliveredOn,
        );
      }
      const before = journal.stats().unprocessed;
      connection = 2;
      await waitUntil(() => !receiver.stats().holding, 2_000, 'the held message to be given up');
      expect(receiver.stats().abandoned).to.be.at.least(1);
      expect(journal.stats().unprocessed).to.equal(before);
      expect(acks).to.equal(before);
      receiver.close();
    });
  });

  it('holds acknowledgements while more than maxQueuedBytes waits for processing, and resumes as it drains', async function () {
    journal = new Journal({ directory });
    const release: (() => void)[] = [];
    const receiver = receiverWith({
      maxQueuedBytes: 100_000,
      process: (offset) =>
        new Promise<void>((resolve) =>
          release.push(() => {
            journal.complete(offset);
            resolve();
          }),
        ),
    });
    let acks = 0;
    for (let n = 0; n < 4; n++) {
      const { topic, payload } = message(40_000);
      receiver.receive(
        topic,
        payload,
        n,
        () => acks++,
        () => true,
      );
    }
    expect(acks).to.equal(2);
    expect(logged).to.deep.equal(['warn: acknowledgements held (processing queue full)']);
    release.shift()!();
    await waitUntil(() => acks === 3, 2_000, 'the third acknowledgement');
    while (release.length > 0) release.shift()!();
    await waitUntil(() => acks === 4, 2_000, 'the fourth acknowledgement');
    expect(receiver.stats().queuedBytes).to.be.below(100_000);
    receiver.close();
  });
});
