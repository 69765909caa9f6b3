import { expect } from 'chai';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../oracle/src/ingest/journal';

describe('Journal (write-ahead, before the MQTT acknowledgement)', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'journal-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('resolves appends in order with increasing offsets, sharing one commit', async function () {
    const journal = new Journal({ directory });
    const offsets = await Promise.all([0, 1, 2].map((n) => journal.append('t', `p${n}`, n)));
    expect(offsets).to.deep.equal([0, 1, 2]);
    expect(journal.unprocessed().map((entry) => entry.payload)).to.deep.equal(['p0', 'p1', 'p2']);
    journal.close();
  });

  it('replays exactly the unprocessed entries after a restart, and keeps numbering after them', async function () {
    const first = new Journal({ directory, segmentSize: 2 });
    for (let n = 0; n < 5; n++) await first.append('t', `p${n}`, n);
    first.markProcessed(2);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the mark is written within 100 ms
    // no close(): killed
    const second = new Journal({ directory, segmentSize: 2 });
    expect(second.unprocessed().map((entry) => entry.payload)).to.deep.equal(['p3', 'p4']);
    expect(await second.append('t', 'p5', 5)).to.equal(5);
    expect(second.unprocessed().map((entry) => entry.offset)).to.deep.equal([3, 4, 5]);
    second.close();
  });

  it('makes processing durable (beforeMark) before each processed mark it writes, and not when nothing moved', async function () {
    const events: string[] = [];
    const markOnDisk = () => {
      const file = join(directory, 'processed.json');
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { through: number }).through : -1;
    };
    const journal = new Journal({
      directory,
      beforeMark: () => events.push(`sync (mark on disk: ${markOnDisk()})`),
    });
    for (let n = 0; n < 3; n++) await journal.append('t', `p${n}`, n);
    journal.markProcessed(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    journal.markProcessed(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events).to.deep.equal(['sync (mark on disk: -1)']);
    expect(new Journal({ directory }).processedMark).to.equal(1);
    journal.close();
  });

  it('replays more, never less, when killed before the processed mark was written', async function () {
    const first = new Journal({ directory });
    for (let n = 0; n < 3; n++) await first.append('t', `p${n}`, n);
    first.markProcessed(1);
    // killed at once: the mark was not written yet
    expect(new Journal({ directory }).unprocessed().map((entry) => entry.payload)).to.deep.equal(['p0', 'p1', 'p2']);
    first.close();
    expect(new Journal({ directory }).unprocessed().map((entry) => entry.payload)).to.deep.equal(['p2']);
  });

  it('drops a line torn by a kill mid-write and continues cleanly', async function () {
    const first = new Journal({ directory });
    await first.append('t', 'whole', 1);
    const [segment] = readdirSync(directory).filter((name) => name.endsWith('.jsonl'));
    appendFileSync(join(directory, segment!), '{"offset":1,"topic":"t","payl');
    const second = new Journal({ directory });
    expect(await second.append('t', 'after', 2)).to.equal(1);
    second.close();
    expect(new Journal({ directory }).unprocessed().map((entry) => entry.payload)).to.deep.equal(['whole', 'after']);
  });

  it('deletes segments once everything in them is processed', async function () {
    const journal = new Journal({ directory, segmentSize: 2 });
    for (let n = 0; n < 6; n++) await journal.append('t', `p${n}`, n);
    expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl'))).to.have.length(3);
    journal.markProcessed(3);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl'))).to.have.length(1);
    expect(journal.unprocessed().map((entry) => entry.payload)).to.deep.equal(['p4', 'p5']);
    journal.close();
  });
});

describe('Journal.appendNow (one write, fsync shortly after)', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'journal-now-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('is readable by a new journal at once, as after a kill, in order with awaited appends', async function () {
    const journal = new Journal({ directory });
    expect(journal.appendNow('t', 'a', 1)).to.equal(0);
    expect(await journal.append('t', 'b', 2)).to.equal(1);
    expect(journal.appendNow('t', 'c', 3)).to.equal(2);
    expect(new Journal({ directory }).unprocessed().map((entry) => entry.payload)).to.deep.equal(['a', 'b', 'c']);
    journal.close();
  });
});
