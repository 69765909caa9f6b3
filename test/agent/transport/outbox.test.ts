import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type OutboxEntry } from '../../../agent/src/transport/outbox';

const entry = (n: number): OutboxEntry => ({ topic: `t/${n}`, payload: `{"n":${n}}`, retain: false });
const drainAll = (outbox: Outbox) => Array.from({ length: outbox.size }, (_, i) => outbox.peek(i)!.topic);

describe('Outbox (store-and-forward)', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'outbox-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  describe('when messages are appended and acknowledged', function () {
    it('keeps FIFO order and removes only what was acknowledged', function () {
      const outbox = new Outbox({ directory, segmentSize: 3 });
      for (let n = 0; n < 7; n++) outbox.append(entry(n));
      expect(outbox.size).to.equal(7);
      expect(outbox.peek(0)!.topic).to.equal('t/0');
      expect(outbox.peek(6)!.topic).to.equal('t/6');
      expect(outbox.peek(7)).to.equal(undefined);
      outbox.acknowledge(4);
      expect(outbox.size).to.equal(3);
      expect(drainAll(outbox)).to.deep.equal(['t/4', 't/5', 't/6']);
      outbox.close();
    });

    it('deletes segment files once every entry in them is acknowledged', function () {
      const outbox = new Outbox({ directory, segmentSize: 2 });
      for (let n = 0; n < 5; n++) outbox.append(entry(n));
      expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl'))).to.have.length(3);
      outbox.acknowledge(4);
      expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl'))).to.have.length(1);
      outbox.close();
    });
  });

  describe('when the process restarts', function () {
    it('replays exactly the unacknowledged messages, in order, and keeps appending after them', function () {
      const first = new Outbox({ directory, segmentSize: 3 });
      for (let n = 0; n < 8; n++) first.append(entry(n));
      first.acknowledge(5);
      first.close();
      const second = new Outbox({ directory, segmentSize: 3 });
      expect(drainAll(second)).to.deep.equal(['t/5', 't/6', 't/7']);
      second.append(entry(8));
      second.acknowledge(1);
      expect(drainAll(second)).to.deep.equal(['t/6', 't/7', 't/8']);
      second.close();
      expect(drainAll(new Outbox({ directory, segmentSize: 3 }))).to.deep.equal(['t/6', 't/7', 't/8']);
    });

    it('survives a crash without close() and ignores a torn last line', function () {
      const first = new Outbox({ directory, segmentSize: 100 });
      for (let n = 0; n < 3; n++) first.append(entry(n));
      // no close(): the process died; then a half-written line
      const segment = readdirSync(directory).find((name) => name.endsWith('.jsonl'))!;
      appendFileSync(join(directory, segment), '{"topic":"t/3","payl');
      const second = new Outbox({ directory, segmentSize: 100 });
      expect(drainAll(second)).to.deep.equal(['t/0', 't/1', 't/2']);
      second.append(entry(4));
      expect(drainAll(second)).to.deep.equal(['t/0', 't/1', 't/2', 't/4']);
      second.close();
    });

    it('treats a torn pointer file as nothing acknowledged (resends, never loses)', function () {
      const first = new Outbox({ directory, segmentSize: 10 });
      for (let n = 0; n < 3; n++) first.append(entry(n));
      first.acknowledge(2);
      first.close();
      writeFileSync(join(directory, 'pointer.json'), '{"headSeg');
      expect(drainAll(new Outbox({ directory, segmentSize: 10 }))).to.deep.equal(['t/0', 't/1', 't/2']);
    });
  });

  describe('when it is full', function () {
    it('drops the oldest messages and counts them, across restarts', function () {
      const outbox = new Outbox({ directory, maxMessages: 3, segmentSize: 2 });
      for (let n = 0; n < 5; n++) outbox.append(entry(n));
      expect(outbox.size).to.equal(3);
      expect(outbox.dropped).to.equal(2);
      expect(drainAll(outbox)).to.deep.equal(['t/2', 't/3', 't/4']);
      outbox.close();
      const again = new Outbox({ directory, maxMessages: 3, segmentSize: 2 });
      expect(again.dropped).to.equal(2);
      expect(drainAll(again)).to.deep.equal(['t/2', 't/3', 't/4']);
    });
  });
});
