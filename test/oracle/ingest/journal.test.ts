import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  openSync,
  writeSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalError, JournalFullError, type JournalEntry } from '../../../oracle/src/ingest/journal';
import { BLOCK_BYTES } from '../../../oracle/src/ingest/journal/records';

const segmentsOf = (directory: string) => readdirSync(directory).filter((name) => name.endsWith('.wal'));
const payloadsOf = (entries: Iterable<JournalEntry>) => [...entries].map((entry) => entry.payload.toString());
const markWritten = () => new Promise((resolve) => setTimeout(resolve, 150)); // the mark is written within 100 ms
const bytes = (text: string) => Buffer.from(text);
/** Bytes no JSON string holds as they are: every control byte, and invalid UTF-8. */
const junk = (length: number, seed = 1) =>
  Buffer.from(Array.from({ length }, (_, i) => (i * 7919 + seed) % 32 | (i % 5 === 0 ? 0xc0 : 0)));

describe('Journal (write-ahead, before the MQTT acknowledgement)', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'journal-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('resolves appends in order with increasing offsets once fsynced, sharing one commit', async function () {
    const journal = new Journal({ directory });
    const offsets = await Promise.all([0, 1, 2].map((n) => journal.append('t', bytes(`p${n}`), n)));
    expect(offsets).to.deep.equal([0, 1, 2]);
    expect(payloadsOf(new Journal({ directory }).replay())).to.deep.equal(['p0', 'p1', 'p2']);
    journal.close();
  });

  it('flushes on the thread pool without blocking appends, across rotations and a close while a flush runs', async function () {
    // Small segments: rotations (a synchronous flush and close) happen while group commits still flush on the pool.
    const journal = new Journal({ directory, segmentBytes: 40_000, maxBytes: 100_000_000, commitDelayMs: 0 });
    const appended: Promise<number>[] = [];
    for (let n = 0; n < 300; n++) {
      appended.push(journal.append('t', bytes(`p${n}`.padEnd(1_000, '.')), n));
      if (n % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const last = journal.append('t', bytes('last'), 300);
    journal.close(); // while the last commit may still flush: its descriptor closes after it
    expect(await Promise.all([...appended, last])).to.deep.equal(Array.from({ length: 301 }, (_, n) => n));
    expect(segmentsOf(directory).length).to.be.above(5);
    const replayed = payloadsOf(new Journal({ directory, segmentBytes: 40_000 }).replay());
    expect(replayed).to.have.length(301);
    expect(replayed.at(-1)).to.equal('last');
  });

  it('stores the raw bytes: control bytes and invalid UTF-8 come back as they went in, with a few bytes of framing', async function () {
    const payload = junk(1_000_000);
    const journal = new Journal({ directory });
    await journal.append('twins/x/snapshot', payload, 42);
    journal.close();
    const size = segmentsOf(directory).reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
    // One 1 MB payload spans 31 blocks: 7 bytes of header per fragment, not six bytes per control byte.
    expect(size).to.be.below(payload.length + 64 * 7);
    const [entry] = new Journal({ directory }).replay();
    expect(entry).to.deep.include({ offset: 0, topic: 'twins/x/snapshot', receivedAt: 42 });
    expect(Buffer.compare(entry!.payload, payload)).to.equal(0);
  });

  it('replays exactly the unprocessed entries after a restart, and keeps numbering after them', async function () {
    const first = new Journal({ directory });
    for (let n = 0; n < 5; n++) await first.append('t', bytes(`p${n}`), n);
    for (const offset of [0, 1, 2]) first.complete(offset);
    await markWritten();
    // no close(): killed
    const second = new Journal({ directory });
    expect(payloadsOf(second.replay())).to.deep.equal(['p3', 'p4']);
    expect(await second.append('t', bytes('p5'), 5)).to.equal(5);
    second.close();
    expect([...new Journal({ directory }).replay()].map((entry) => entry.offset)).to.deep.equal([3, 4, 5]);
  });

  it('refuses an append before the recovered entries are replayed, and one above the payload limit', async function () {
    const first = new Journal({ directory, maxPayloadBytes: 100 });
    await first.append('t', bytes('a'), 1);
    first.close();
    const second = new Journal({ directory, maxPayloadBytes: 100 });
    expect(() => second.appendNow('t', bytes('b'), 2)).to.throw(JournalError, 'not replayed yet');
    expect(payloadsOf(second.replay())).to.deep.equal(['a']);
    expect(() => second.appendNow('t', Buffer.alloc(101), 2)).to.throw(JournalError, '101 bytes > 100');
    expect(second.appendNow('t', bytes('b'), 2)).to.equal(1);
    second.close();
  });

  it('moves the mark over entries completed out of order only once the earlier ones are done', async function () {
    const journal = new Journal({ directory });
    for (let n = 0; n < 4; n++) journal.appendNow('t', bytes(`p${n}`), n);
    journal.complete(2);
    journal.complete(1);
    expect(journal.processedMark).to.equal(-1);
    journal.complete(0);
    expect(journal.processedMark).to.equal(2);
    journal.complete(3);
    expect(journal.processedMark).to.equal(3);
    expect(journal.stats().unprocessed).to.equal(0);
    journal.close();
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
    for (let n = 0; n < 3; n++) await journal.append('t', bytes(`p${n}`), n);
    journal.complete(0);
    journal.complete(1);
    await markWritten();
    journal.complete(1);
    await markWritten();
    expect(events).to.deep.equal(['sync (mark on disk: -1)']);
    expect(new Journal({ directory }).processedMark).to.equal(1);
    journal.close();
  });

  it('replays more, never less, when killed before the processed mark was written', async function () {
    const first = new Journal({ directory });
    for (let n = 0; n < 3; n++) await first.append('t', bytes(`p${n}`), n);
    first.complete(0);
    first.complete(1);
    // killed at once: the mark was not written yet
    expect(payloadsOf(new Journal({ directory }).replay())).to.deep.equal(['p0', 'p1', 'p2']);
    first.close();
    expect(payloadsOf(new Journal({ directory }).replay())).to.deep.equal(['p2']);
  });

  describe('when the last record is torn (killed or powered off mid-write)', function () {
    it('skips it, replays everything before it, and continues in a new segment', async function () {
      const first = new Journal({ directory });
      await first.append('t', bytes('whole'), 1);
      await first.append('t', junk(100_000), 2); // spans blocks
      first.close();
      const [segment] = segmentsOf(directory);
      truncateSync(join(directory, segment!), statSync(join(directory, segment!)).size - 5_000);
      const second = new Journal({ directory });
      expect(payloadsOf(second.replay())).to.deep.equal(['whole']);
      expect(second.stats().damaged).to.equal(0); // torn, not damaged: it was never acknowledged
      expect(await second.append('t', bytes('after'), 3)).to.equal(1);
      second.close();
      expect(segmentsOf(directory)).to.have.length(2);
      expect(payloadsOf(new Journal({ directory }).replay())).to.deep.equal(['whole', 'after']);
    });

    it('cuts the torn end off at the next start: a clean stop after it leaves nothing a later start calls damage', async function () {
      const first = new Journal({ directory });
      await first.append('t', bytes('whole'), 1);
      const wholeSize = statSync(join(directory, segmentsOf(directory)[0]!)).size;
      await first.append('t', junk(100_000), 2);
      first.close();
      const [segment] = segmentsOf(directory);
      truncateSync(join(directory, segment!), statSync(join(directory, segment!)).size - 5_000); // killed mid-write
      const logs: string[] = [];
      const log = (level: string, message: string) => logs.push(`${level}: ${message}`);
      const second = new Journal({ directory, log });
      expect(statSync(join(directory, segment!)).size).to.equal(wholeSize);
      expect(logs).to.deep.equal(['info: journal: a torn last entry cut off (killed mid-write, never acknowledged)']);
      expect(payloadsOf(second.replay())).to.deep.equal(['whole']); // not completed: the segment stays
      await second.append('t', bytes('after'), 3);
      second.close(); // a clean stop, the torn segment no longer the last
      logs.length = 0;
      const third = new Journal({ directory, log });
      expect(payloadsOf(third.replay())).to.deep.equal(['whole', 'after']);
      expect(third.stats().damaged).to.equal(0);
      expect(logs).to.deep.equal([]);
      third.close();
    });

    it('drops a last segment holding nothing whole and reuses its offset', async function () {
      const first = new Journal({ directory });
      await first.append('t', bytes('a'), 1);
      first.close();
      const [segment] = segmentsOf(directory);
      truncateSync(join(directory, segment!), 10);
      const second = new Journal({ directory });
      expect([...second.replay()]).to.deep.equal([]);
      expect(segmentsOf(directory)).to.deep.equal([]);
      expect(second.appendNow('t', bytes('b'), 2)).to.equal(0);
      second.close();
    });
  });

  describe('when a record in the middle is damaged', function () {
    it('skips what the damage touched, counts it, replays every other entry, and moves the mark past it', async function () {
      const journal = new Journal({ directory });
      const small = Array.from({ length: 3_000 }, (_, n) => bytes(`entry-${n}-${'x'.repeat(20)}`));
      for (const [n, payload] of small.entries()) journal.appendNow('twins/t/telemetry', payload, n);
      journal.close();
      const [segment] = segmentsOf(directory);
      const file = join(directory, segment!);
      const content = readFileSync(file);
      // Flip one byte in the second block: the entries of that block are lost, none before or after.
      content[BLOCK_BYTES + 1_000] = content[BLOCK_BYTES + 1_000]! ^ 0xff;
      writeFileSync(file, content);
      const warnings: string[] = [];
      const reopened = new Journal({ directory, log: (level, message) => warnings.push(`${level}: ${message}`) });
      const replayed = [...reopened.replay()];
      const offsets = new Set(replayed.map((entry) => entry.offset));
      const lost = small.map((_, n) => n).filter((n) => !offsets.has(n));
      // Each record takes about 70 bytes: a block holds some 470 of them (and the ends of its neighbours' entries).
      expect(lost.length).to.be.within(1, 480);
      expect(lost.at(-1)! - lost[0]!).to.equal(lost.length - 1); // one run
      expect(lost[0]).to.be.above(400); // nothing of the first block
      expect(lost.at(-1)).to.be.below(1_000); // nothing after the second
      for (const entry of replayed) expect(entry.payload.toString()).to.equal(small[entry.offset]!.toString());
      expect(reopened.stats().damaged).to.equal(1);
      expect(warnings).to.include('warn: journal: damaged records skipped');
      for (const entry of replayed) reopened.complete(entry.offset);
      expect(reopened.processedMark).to.equal(small.length - 1);
      reopened.close();
    });

    it('loses only the large entry whose block is damaged, not the entries after it', async function () {
      const journal = new Journal({ directory });
      journal.appendNow('t', bytes('before'), 1);
      journal.appendNow('t', junk(500_000), 2);
      journal.appendNow('t', bytes('after'), 3);
      journal.close();
      const [segment] = segmentsOf(directory);
      const file = join(directory, segment!);
      const content = readFileSync(file);
      content[5 * BLOCK_BYTES + 77] = content[5 * BLOCK_BYTES + 77]! ^ 0x01;
      writeFileSync(file, content);
      const reopened = new Journal({ directory });
      expect(payloadsOf(reopened.replay())).to.deep.equal(['before', 'after']);
      expect(reopened.stats().damaged).to.equal(1);
      reopened.close();
    });
  });

  describe('rotation and dropping', function () {
    it('closes a segment by size and deletes segments once everything in them is processed', async function () {
      const journal = new Journal({ directory, segmentBytes: 100_000, maxBytes: 10_000_000 });
      for (let n = 0; n < 10; n++) journal.appendNow('t', junk(30_000, n), n);
      // Three 30 kB entries to a segment of 100 kB.
      expect(segmentsOf(directory)).to.have.length(4);
      for (const offset of [0, 1, 2, 3, 4, 5]) journal.complete(offset);
      await markWritten();
      expect(segmentsOf(directory)).to.have.length(2); // 0-2 and 3-5 gone; 6-8 holds 6, 7, 8 unprocessed
      expect(journal.stats()).to.deep.include({ segments: 2, unprocessed: 4 });
      expect(
        [...new Journal({ directory, segmentBytes: 100_000 }).replay()].map((entry) => entry.offset),
      ).to.deep.equal([6, 7, 8, 9]);
      journal.close();
    });

    it('deletes the segment being written once it is all processed and large, and starts a new one', async function () {
      const journal = new Journal({ directory });
      for (let n = 0; n < 40; n++) journal.complete(journal.appendNow('t', junk(40_000, n), n));
      await markWritten();
      expect(segmentsOf(directory)).to.deep.equal([]);
      expect(journal.stats().bytes).to.equal(0);
      expect(journal.appendNow('t', bytes('next'), 41)).to.equal(40);
      expect(segmentsOf(directory)).to.deep.equal(['000000000000040.wal']);
      journal.close();
    });
  });

  describe('when the size limit on disk is reached', function () {
    it('refuses appends that would pass it, and takes them again once processed segments are dropped', async function () {
      const journal = new Journal({ directory, segmentBytes: 100_000, maxBytes: 300_000 });
      let appended = 0;
      while (journal.fits('t', 30_000)) journal.appendNow('t', junk(30_000, appended), appended++);
      expect(appended).to.be.within(8, 10);
      expect(journal.stats().bytes).to.be.at.most(300_000);
      expect(() => journal.appendNow('t', junk(30_000), 0)).to.throw(JournalFullError, 'at most 300000');
      for (let offset = 0; offset < 6; offset++) journal.complete(offset);
      await markWritten();
      expect(journal.fits('t', 30_000)).to.equal(true);
      expect(journal.appendNow('t', junk(30_000), appended)).to.equal(appended);
      journal.close();
      // Nothing accepted was dropped to make room.
      expect([...new Journal({ directory }).replay()].map((entry) => entry.offset)).to.deep.equal(
        Array.from({ length: appended + 1 - 6 }, (_, i) => i + 6),
      );
    });
  });
});

describe('Journal of the first format (JSON lines)', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'journal-v1-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const line = (offset: number, payload: string) =>
    `${JSON.stringify({ offset, topic: 'twins/x/telemetry', payload, receivedAt: 1_000 + offset })}\n`;

  it('is migrated once: unprocessed entries carried over in order, torn and garbage lines skipped, files removed', function () {
    writeFileSync(join(directory, '000000000000000.jsonl'), [0, 1, 2].map((n) => line(n, `p${n}`)).join(''));
    // Out of order (an awaited append committed after an immediate one), a garbage line, a torn last line.
    writeFileSync(
      join(directory, '000000000000003.jsonl'),
      `${line(4, 'p4')}${line(3, 'p3')}not json\n${line(5, 'p5 \u0001 é')}{"offset":6,"topic":"t","payl`,
    );
    writeFileSync(join(directory, 'processed.json'), JSON.stringify({ through: 1 }));
    const logged: Record<string, unknown>[] = [];
    const journal = new Journal({ directory, log: (_level, message, fields) => logged.push({ message, ...fields }) });
    expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl'))).to.deep.equal([]);
    expect(logged[0]).to.deep.include({
      message: 'journal migrated from the JSON-lines format',
      migrated: 4,
      skipped: 2,
    });
    const replayed = [...journal.replay()];
    expect(payloadsOf(replayed)).to.deep.equal(['p2', 'p3', 'p4', 'p5 \u0001 é']);
    expect(replayed[0]).to.deep.include({ offset: 2, topic: 'twins/x/telemetry', receivedAt: 1_002 });
    expect(journal.appendNow('t', bytes('p6'), 6)).to.equal(6);
    journal.close();
    expect(journal.stats().migrated).to.equal(4);
    expect(payloadsOf(new Journal({ directory }).replay())).to.deep.equal(['p2', 'p3', 'p4', 'p5 \u0001 é', 'p6']);
  });

  it('redoes a migration interrupted before its rename, and finishes one interrupted after it', function () {
    writeFileSync(join(directory, '000000000000000.jsonl'), [0, 1].map((n) => line(n, `p${n}`)).join(''));
    writeFileSync(join(directory, 'migrating.tmp'), 'half a migration');
    expect(payloadsOf(new Journal({ directory }).replay())).to.deep.equal(['p0', 'p1']);
    // After the rename, before the old files were removed:
    writeFileSync(join(directory, '000000000000000.jsonl'), [0, 1].map((n) => line(n, `p${n}`)).join(''));
    const journal = new Journal({ directory });
    expect(payloadsOf(journal.replay())).to.deep.equal(['p0', 'p1']);
    expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl') || name.endsWith('.tmp'))).to.deep.equal([]);
    journal.close();
  });
});

describe('Journal: the directory the 90 × 1 MB attack left in the first format (more than the longest string)', function () {
  this.timeout(240_000);
  let directory: string;
  before(() => (directory = mkdtempSync(join(tmpdir(), 'journal-attack-'))));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('migrates and replays in a process whose memory stays far below the file, every entry intact', async function () {
    // What the previous version wrote: 10 legitimate entries (5 processed), 90 payloads of 1 MB of control bytes
    // (six characters each once JSON-escaped), 5 more legitimate ones: one segment of 540 MB.
    const sixFold = [...Array(32).keys()].filter((byte) => ![8, 9, 10, 12, 13].includes(byte)); // \u00XX each
    const control = (seed: number) =>
      Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => sixFold[(i * 7919 + seed) % sixFold.length]!));
    const expected = createHash('sha256');
    const fd = openSync(join(directory, '000000000000000.jsonl'), 'w');
    const write = (offset: number, payload: Buffer) => {
      if (offset > 4) expected.update(payload);
      const text = JSON.stringify({
        offset,
        topic: 'twins/x/snapshot',
        payload: payload.toString('utf8'),
        receivedAt: offset,
      });
      writeSync(fd, `${text}\n`);
    };
    for (let offset = 0; offset < 10; offset++) write(offset, Buffer.from(`legitimate ${offset}`));
    for (let offset = 10; offset < 100; offset++) write(offset, control(offset));
    for (let offset = 100; offset < 105; offset++) write(offset, Buffer.from(`legitimate ${offset}`));
    closeSync(fd);
    writeFileSync(join(directory, 'processed.json'), JSON.stringify({ through: 4 }));
    const size = statSync(join(directory, '000000000000000.jsonl')).size;
    expect(size).to.be.above(0x1fffffe8); // the longest string V8 makes: what the previous version read it into

    const child = spawnSync(
      process.execPath,
      // A 96 MB heap: reading the file whole (as the previous version did) could not even start.
      [
        '--max-old-space-size=96',
        '-r',
        'ts-node/register/transpile-only',
        join(__dirname, 'replayJournalProcess.ts'),
        directory,
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    expect(child.status, child.stderr).to.equal(0);
    const result = JSON.parse(child.stdout) as Record<string, number | string>;
    expect(result).to.deep.include({
      entries: 100,
      firstOffset: 5,
      lastOffset: 104,
      payloadBytes: 90 * 1_000_000 + 5 * 'legitimate 5'.length + 5 * 'legitimate 100'.length,
      sha256: expected.digest('hex'),
    });
    // The whole process (Node, ts-node compiling, the journal) at its peak, against a file of 540 MB.
    expect(result.maxRssBytes).to.be.below(300 * 1024 * 1024);
    // Migrated: the raw bytes take what they weigh (and everything replayed was completed, so nothing is left).
    expect(readdirSync(directory).filter((name) => name.endsWith('.jsonl'))).to.deep.equal([]);
    expect(segmentsOf(directory)).to.deep.equal([]);
  });
});
