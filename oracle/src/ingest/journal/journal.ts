import {
  closeSync,
  fstatSync,
  fsync,
  ftruncateSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { JournalError, JournalFullError } from './errors';
import { hasJsonLinesSegments, migrateJsonLines, removeJsonLinesSegments, syncDirectory } from './migrateJsonLines';
import {
  encodeRecord,
  entryDataBytes,
  newSegmentReport,
  readSegment,
  recordBytesBound,
  type JournalEntry,
  type SegmentReport,
} from './records';

/** Longest the processed mark waits before it is written, ms. */
const MARK_DELAY_MS = 100;
/** A segment being appended to is dropped early, once everything in it is processed, from this size. */
const DRAINED_SEGMENT_BYTES = 1 << 20;
const SEGMENT = /^(\d{15})\.wal$/;
const MARK_FILE = 'processed.json';

/** Default size at which a segment is closed and the next one begun, bytes (64 MiB). */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Default limit of the journal's segments on disk together, bytes (1 GiB). */
export const DEFAULT_JOURNAL_MAX_BYTES = 1024 * 1024 * 1024;

/** A log line sink (the oracle's). */
export type JournalLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Parameters of {@link Journal}. */
export type JournalParameters = {
  directory: string;
  /** A segment is closed once an append would take it past this size, bytes (default 64 MiB). */
  segmentBytes?: number;
  /** The segments on disk together stay within this size, bytes (default 1 GiB): see {@link Journal.fits}. */
  maxBytes?: number;
  /** Largest payload appended, bytes (default 1 MiB): a longer one is refused, and read back as damage. */
  maxPayloadBytes?: number;
  /** Longest an awaited append waits for the group commit's fsync, ms (default 5). */
  commitDelayMs?: number;
  /**
   * Called before the processed mark is written (at most every 100 ms): makes what processing wrote elsewhere
   * durable first (the oracle checkpoints its index), so the mark never runs ahead of it after a power loss.
   */
  beforeMark?: () => void;
  /** Told about damage found, a migration, a torn end (warn / info). */
  log?: JournalLog;
};

/** The journal's figures, for metrics. */
export type JournalStats = {
  /** Segment files on disk and their total size, bytes, against the limit. */
  segments: number;
  bytes: number;
  maxBytes: number;
  /** Entries appended or replayed and not yet completed. */
  unprocessed: number;
  /** The offset through which every entry is processed (-1 when none). */
  processedMark: number;
  /** Damaged fragments skipped while reading (each costs the entries it touched). */
  damaged: number;
  /** Entries carried over from a journal of the first (JSON-lines) format when it was opened. */
  migrated: number;
};

type Segment = { start: number; bytes: number };

/**
 * The oracle's write-ahead journal: a message is appended (one `write`, its raw bytes, with a CRC-32 per fragment;
 * see `records.ts`) before its MQTT acknowledgement, so a kill at any instant loses nothing the broker considers
 * delivered; an fsync follows within a few milliseconds (group commit, on libuv's thread pool: the main thread goes on
 * receiving while the disk flushes; rotation and close flush synchronously). Segments rotate by size and are deleted once
 * every entry in them is processed; their total size stays within `maxBytes` (an append that would pass it is
 * refused: {@link fits}). After a restart, {@link replay} streams the unprocessed entries (bounded memory, whatever
 * is on disk); damaged or torn records are skipped and counted. A directory of the first format (`.jsonl`) is
 * migrated when opened.
 *
 * @example
 * const journal = new Journal({ directory: join(dataDir, 'journal') })
 * for (const entry of journal.replay()) await process(entry) // then journal.complete(entry.offset)
 * const offset = journal.appendNow(topic, payload, Date.now()) // in the OS's hands: acknowledge the broker
 * journal.complete(offset) // once processed
 */
export class Journal {
  private readonly directory: string;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly maxPayloadBytes: number;
  private readonly commitDelayMs: number;
  private readonly beforeMark: (() => void) | undefined;
  private readonly log: JournalLog;
  private readonly segments: Segment[];
  private bytesOnDisk: number;
  private nextOffset: number;
  private processedThrough: number;
  private persistedMark: number;
  /** Offsets appended or replayed, in increasing order, from `head` on not yet completed (or completed early). */
  private outstanding: number[] = [];
  private head = 0;
  private readonly completedEarly = new Set<number>();
  /** Every offset up to here is outstanding, completed, or known not to exist. */
  private frontier: number;
  /** The last offset recovered at open: appends wait until the replay has passed it. */
  private readonly recoveredEnd: number;
  private fd: number | undefined;
  private syncWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Group-commit fsyncs running on the thread pool, per file descriptor; a file closed meanwhile closes after them. */
  private readonly flushing = new Map<number, number>();
  private readonly closeWhenFlushed = new Set<number>();
  private commitTimer: NodeJS.Timeout | undefined;
  private markTimer: NodeJS.Timeout | undefined;
  private damaged = 0;
  private readonly migrated: number;

  constructor(parameters: JournalParameters) {
    this.directory = parameters.directory;
    this.segmentBytes = parameters.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxBytes = parameters.maxBytes ?? DEFAULT_JOURNAL_MAX_BYTES;
    this.maxPayloadBytes = parameters.maxPayloadBytes ?? 1_048_576;
    this.commitDelayMs = parameters.commitDelayMs ?? 5;
    this.beforeMark = parameters.beforeMark;
    this.log = parameters.log ?? (() => undefined);
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.directory)) if (name.endsWith('.tmp')) unlinkSync(join(this.directory, name));
    this.processedThrough = this.readMark();
    this.persistedMark = this.processedThrough;

    let migrated = 0;
    if (hasJsonLinesSegments(this.directory)) {
      if (this.listSegments().length > 0) {
        const removed = removeJsonLinesSegments(this.directory);
        this.log('info', 'journal: old-format segments of a finished migration removed', { files: removed });
      } else {
        const result = migrateJsonLines({
          directory: this.directory,
          processedThrough: this.processedThrough,
          maxPayloadBytes: this.maxPayloadBytes,
          segmentFile: (start) => this.segmentFile(start),
        });
        migrated = result.migrated;
        this.log('info', 'journal migrated from the JSON-lines format', { ...result });
      }
    }
    this.migrated = migrated;

    this.segments = this.listSegments();
    this.bytesOnDisk = this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
    // Appends go to a new segment after the last whole entry on disk; a last segment with none is dropped.
    let next = this.processedThrough + 1;
    const last = this.segments.at(-1);
    if (last !== undefined) {
      const report = newSegmentReport();
      let lastOffset: number | undefined;
      for (const entry of readSegment(this.segmentFile(last.start), this.maxDataBytes, report))
        lastOffset = entry.offset;
      next = Math.max(next, last.start, lastOffset === undefined ? 0 : lastOffset + 1);
      if (lastOffset === undefined) {
        this.dropSegment(this.segments.length - 1);
        if (last.bytes > 0) this.log('warn', 'journal: a last segment without a whole entry dropped', { ...report });
      } else if (report.torn) {
        // An entry cut short by a kill mid-write (never acknowledged): cut off now. Left in place, the segment is no
        // longer the last once appends begin the next one, and every later start would report it as damage.
        this.cutTornEnd(last, report.wholeBytes);
      }
    }
    this.nextOffset = next;
    this.frontier = this.processedThrough;
    this.recoveredEnd = next - 1;
  }

  /** The largest data an entry may hold when read back. */
  private get maxDataBytes(): number {
    return entryDataBytes(0xffff, this.maxPayloadBytes);
  }

  /**
   * Whether an append of `payloadBytes` on `topic` fits within `maxBytes` now. When it does not, the oracle holds the
   * message back (and with it its acknowledgement) and asks again: segments are dropped as processing catches up.
   */
  fits(topic: string, payloadBytes: number): boolean {
    return this.bytesOnDisk + recordBytesBound(entryDataBytes(Buffer.byteLength(topic), payloadBytes)) <= this.maxBytes;
  }

  /**
   * Appends a message with one `write` and returns its offset at once: in the operating system's hands, it survives
   * a kill of the oracle at any instant; an fsync follows within the commit delay (bounding what a power cut loses).
   * Throws {@link JournalFullError} when it does not fit ({@link fits}), and {@link JournalError} before the
   * recovered entries were replayed or for a payload above `maxPayloadBytes`.
   */
  appendNow(topic: string, payload: Uint8Array, receivedAt: number): number {
    if (this.frontier < this.recoveredEnd) {
      throw new JournalError('Append refused: the recovered entries are not replayed yet.', {
        details: `replay() passes offset ${this.recoveredEnd} first`,
      });
    }
    if (payload.length > this.maxPayloadBytes) {
      throw new JournalError('Append refused: the payload is above the limit.', {
        details: `${payload.length} bytes > ${this.maxPayloadBytes}`,
      });
    }
    if (!this.fits(topic, payload.length)) throw new JournalFullError(this.bytesOnDisk, this.maxBytes);
    const offset = this.nextOffset;
    const bound = recordBytesBound(entryDataBytes(Buffer.byteLength(topic), payload.length));
    let active = this.fd === undefined ? undefined : this.segments.at(-1)!;
    if (active === undefined || (active.bytes > 0 && active.bytes + bound > this.segmentBytes))
      active = this.rotate(offset);
    const record = encodeRecord({ offset, topic, payload, receivedAt }, active.bytes);
    let written = 0;
    try {
      written = writeSync(this.fd!, record);
      if (written !== record.length) throw new Error(`short write: ${written} of ${record.length} bytes`);
    } catch (error) {
      // What reached the file is a torn entry: count it, and continue in a new segment.
      const size = fstatSync(this.fd!).size;
      this.bytesOnDisk += size - active.bytes;
      active.bytes = size;
      this.closeActive();
      throw error;
    }
    active.bytes += record.length;
    this.bytesOnDisk += record.length;
    this.nextOffset++;
    this.outstanding.push(offset);
    this.frontier = offset;
    this.commitTimer ??= setTimeout(() => this.commit(), this.commitDelayMs);
    return offset;
  }

  /** Appends a message; resolves with its offset once it is on disk (fsynced with the next group commit). */
  append(topic: string, payload: Uint8Array, receivedAt: number): Promise<number> {
    try {
      const offset = this.appendNow(topic, payload, receivedAt);
      return new Promise((resolve, reject) => this.syncWaiters.push({ resolve: () => resolve(offset), reject }));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * The entries not processed yet, in offset order, read one segment block at a time (memory holds one entry,
   * whatever the journal holds). Each must be {@link complete}d once processed. Damaged records are skipped (logged,
   * counted in `damaged`): the processed mark moves past the offsets they held. Appends wait until it has run.
   */
  *replay(): Generator<JournalEntry> {
    let previous = -1;
    const segments = [...this.segments];
    for (const [index, segment] of segments.entries()) {
      const end = (segments[index + 1]?.start ?? this.nextOffset) - 1;
      if (end <= this.processedThrough) continue;
      const report = newSegmentReport();
      let outOfPlace = 0;
      for (const entry of readSegment(this.segmentFile(segment.start), this.maxDataBytes, report)) {
        if (entry.offset <= previous || entry.offset < segment.start || entry.offset > end) {
          outOfPlace++;
          continue;
        }
        previous = entry.offset;
        if (entry.offset <= this.processedThrough) continue;
        if (entry.offset > this.frontier) {
          this.outstanding.push(entry.offset);
          this.frontier = entry.offset;
        }
        yield entry;
      }
      this.damaged += report.damaged + outOfPlace;
      if (report.damaged > 0 || outOfPlace > 0 || (report.torn && index < segments.length - 1)) {
        this.log('warn', 'journal: damaged records skipped', {
          segment: segment.start,
          damaged: report.damaged,
          outOfPlace,
          torn: report.torn,
          firstDamage: report.firstDamage,
        });
      }
    }
    if (this.frontier < this.recoveredEnd) this.frontier = this.recoveredEnd;
    this.advance();
  }

  /**
   * Records that the entry at `offset` is processed. Entries may complete in any order; the processed mark moves
   * over every offset completed (or known lost) and is written at most every 100 ms, deleting the segments wholly
   * behind it.
   */
  complete(offset: number): void {
    // After close (processing that ended as the oracle stopped): the entry is replayed at the next start.
    if (this.closed || offset <= this.processedThrough || offset > this.frontier) return;
    this.completedEarly.add(offset);
    this.advance();
  }

  /** Set by {@link close}: nothing is written after. */
  private closed = false;

  /** The offset through which every entry is processed (-1 when none). */
  get processedMark(): number {
    return this.processedThrough;
  }

  stats(): JournalStats {
    return {
      segments: this.segments.length,
      bytes: this.bytesOnDisk,
      maxBytes: this.maxBytes,
      unprocessed: this.outstanding.length - this.head,
      processedMark: this.processedThrough,
      damaged: this.damaged,
      migrated: this.migrated,
    };
  }

  /** Commits what is waiting, records the processed mark (dropping processed segments) and closes the file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    if (this.markTimer !== undefined) clearTimeout(this.markTimer);
    this.persistMark();
    if (this.fd === undefined) this.commitNow();
    this.closeActive();
  }

  private advance(): void {
    while (this.head < this.outstanding.length && this.completedEarly.delete(this.outstanding[this.head]!)) this.head++;
    if (this.head > 4_096 && this.head * 2 > this.outstanding.length) {
      this.outstanding = this.outstanding.slice(this.head);
      this.head = 0;
    }
    const mark = this.head < this.outstanding.length ? this.outstanding[this.head]! - 1 : this.frontier;
    if (mark <= this.processedThrough) return;
    this.processedThrough = mark;
    // Persisted at most every few ms, not per message: a crash only replays a few more (idempotent) entries.
    this.markTimer ??= setTimeout(() => this.persistMark(), MARK_DELAY_MS);
  }

  private persistMark(): void {
    this.markTimer = undefined;
    const offset = this.processedThrough;
    if (offset !== this.persistedMark) {
      this.beforeMark?.();
      const file = join(this.directory, MARK_FILE);
      const fd = openSync(`${file}.tmp`, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify({ through: offset }));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(`${file}.tmp`, file);
      this.persistedMark = offset;
    }
    // Segments wholly behind the mark; the one being appended to too once it is large enough to be worth it.
    const ends = this.segments.map((_, index) => (this.segments[index + 1]?.start ?? this.nextOffset) - 1);
    for (let index = this.segments.length - 1; index >= 0; index--) {
      const segment = this.segments[index]!;
      const end = ends[index]!;
      const active = this.fd !== undefined && index === this.segments.length - 1;
      if (end > this.persistedMark || (active && segment.bytes < DRAINED_SEGMENT_BYTES)) continue;
      if (active) this.closeActive();
      this.dropSegment(index);
    }
  }

  /**
   * The group commit: an fsync of the segment on the thread pool (the event loop goes on meanwhile); the appends it
   * covers resolve once it is done. Their bytes were written before it started, so the flush covers them.
   */
  private commit(): void {
    this.commitTimer = undefined;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const fd = this.fd;
    if (fd === undefined) {
      for (const waiter of waiters) waiter.resolve();
      return;
    }
    this.flushing.set(fd, (this.flushing.get(fd) ?? 0) + 1);
    fsync(fd, (error) => {
      const left = this.flushing.get(fd)! - 1;
      if (left > 0) this.flushing.set(fd, left);
      else {
        this.flushing.delete(fd);
        if (this.closeWhenFlushed.delete(fd)) closeSync(fd);
      }
      for (const waiter of waiters) error ? waiter.reject(error) : waiter.resolve();
    });
  }

  /** Flushes the segment now, on this thread (rotation, close): the appends waiting resolve once it is on disk. */
  private commitNow(): void {
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    try {
      if (this.fd !== undefined) fsyncSync(this.fd);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error as Error);
    }
  }

  /** Closes the segment being appended to (fsynced first) and opens `<start>.wal` as the next one. */
  private rotate(start: number): Segment {
    this.closeActive();
    // A file of that name can only hold a torn attempt at this very offset (never acknowledged): start it afresh.
    const existing = this.segments.findIndex((segment) => segment.start === start);
    if (existing !== -1) this.dropSegment(existing);
    this.fd = openSync(this.segmentFile(start), 'w', 0o600);
    syncDirectory(this.directory);
    const segment = { start, bytes: 0 };
    this.segments.push(segment);
    return segment;
  }

  private closeActive(): void {
    if (this.fd === undefined) return;
    this.commitNow();
    // A group commit still flushing it keeps the descriptor open until it is done (never a reused number).
    if (this.flushing.has(this.fd)) this.closeWhenFlushed.add(this.fd);
    else closeSync(this.fd);
    this.fd = undefined;
  }

  private dropSegment(index: number): void {
    const [segment] = this.segments.splice(index, 1);
    unlinkSync(this.segmentFile(segment!.start));
    this.bytesOnDisk -= segment!.bytes;
  }

  /** Truncates a segment to its whole entries (a torn end after a kill), synced. */
  private cutTornEnd(segment: Segment, wholeBytes: number): void {
    const fd = openSync(this.segmentFile(segment.start), 'r+');
    try {
      ftruncateSync(fd, wholeBytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.log('info', 'journal: a torn last entry cut off (killed mid-write, never acknowledged)', {
      segment: segment.start,
      bytes: segment.bytes - wholeBytes,
    });
    this.bytesOnDisk -= segment.bytes - wholeBytes;
    segment.bytes = wholeBytes;
  }

  private readMark(): number {
    let text: string;
    try {
      text = readFileSync(join(this.directory, MARK_FILE), 'utf8');
    } catch {
      return -1;
    }
    try {
      const through = (JSON.parse(text) as { through?: unknown }).through;
      if (Number.isSafeInteger(through) && (through as number) >= -1) return through as number;
    } catch {
      // below
    }
    // Replaying everything is safe (processing is idempotent): only slower.
    this.log('warn', 'journal: processed mark unreadable, replaying every entry', { file: MARK_FILE });
    return -1;
  }

  private segmentFile(start: number): string {
    return join(this.directory, `${String(start).padStart(15, '0')}.wal`);
  }

  private listSegments(): Segment[] {
    return readdirSync(this.directory)
      .map((name) => SEGMENT.exec(name))
      .filter((match) => match !== null)
      .map((match) => ({ start: Number(match[1]), bytes: statSync(join(this.directory, match[0])).size }))
      .sort((a, b) => a.start - b.start);
  }
}
