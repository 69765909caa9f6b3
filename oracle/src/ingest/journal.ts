import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** Longest the processed mark waits before it is written, ms. */
const MARK_DELAY_MS = 100;

/** One accepted message as journaled: its position, topic, raw payload and arrival time. */
export type JournalEntry = { offset: number; topic: string; payload: string; receivedAt: number };

/** Parameters of {@link Journal}. */
export type JournalParameters = {
  directory: string;
  /** Entries per segment file (default 10,000). */
  segmentSize?: number;
  /** Longest an append waits for the group commit, ms (default 5). */
  commitDelayMs?: number;
  /**
   * Called before the processed mark is written (at most every 100 ms): makes what processing wrote elsewhere
   * durable first (the oracle checkpoints its index), so the mark never runs ahead of it after a power loss.
   */
  beforeMark?: () => void;
};

/**
 * The oracle's write-ahead journal: an accepted message is appended and fsynced before its MQTT acknowledgement, so a
 * kill at any instant loses nothing the broker considers delivered. Appends within a few milliseconds share one
 * fsync (group commit). Entries past the `processed` mark are replayed after a restart; processing is idempotent.
 *
 * @example
 * const journal = new Journal({ directory: join(dataDir, 'journal') })
 * await journal.append(topic, payload, Date.now()) // durable now: acknowledge the broker
 * journal.markProcessed(entry.offset)
 */
export class Journal {
  private readonly directory: string;
  private readonly segmentSize: number;
  private readonly commitDelayMs: number;
  private nextOffset = 0;
  private processedThrough = -1;
  private fd: number | undefined;
  private segmentStart = 0;
  private waiting: {
    resolve: (offset: number) => void;
    reject: (error: Error) => void;
    line: string;
    offset: number;
  }[] = [];
  private commitTimer: NodeJS.Timeout | undefined;
  private markTimer: NodeJS.Timeout | undefined;
  private persistedMark = -1;
  private readonly beforeMark: (() => void) | undefined;

  constructor(parameters: JournalParameters) {
    this.directory = parameters.directory;
    this.segmentSize = parameters.segmentSize ?? 10_000;
    this.commitDelayMs = parameters.commitDelayMs ?? 5;
    this.beforeMark = parameters.beforeMark;
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const segments = this.segmentStarts();
    try {
      this.processedThrough = Number(JSON.parse(readFileSync(join(this.directory, 'processed.json'), 'utf8')).through);
      this.persistedMark = this.processedThrough;
    } catch {
      this.processedThrough = -1;
    }
    const last = segments[segments.length - 1];
    if (last !== undefined) {
      // A line torn by a kill mid-write was never acknowledged: cut it off so appends continue on a clean line.
      const entries = this.readSegment(last);
      const clean = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
      if (clean !== readFileSync(this.segmentFile(last), 'utf8')) writeFileSync(this.segmentFile(last), clean);
    }
    this.nextOffset = last === undefined ? this.processedThrough + 1 : last + this.readSegment(last).length;
    this.segmentStart = this.nextOffset;
  }

  /** Appends a message; resolves with its offset once it is on disk (fsynced). */
  append(topic: string, payload: string, receivedAt: number): Promise<number> {
    const offset = this.nextOffset++;
    const line = `${JSON.stringify({ offset, topic, payload, receivedAt })}\n`;
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, line, offset });
      this.commitTimer ??= setTimeout(() => this.commit(), this.commitDelayMs);
    });
  }

  /**
   * Appends a message with one `write` and returns its offset at once: in the operating system's hands, it survives
   * a kill of the oracle at any instant; an fsync follows within the commit delay (bounding what a power cut loses).
   */
  appendNow(topic: string, payload: string, receivedAt: number): number {
    const offset = this.nextOffset++;
    if (this.fd === undefined || offset - this.segmentStart >= this.segmentSize) this.rotate(offset);
    writeSync(this.fd!, `${JSON.stringify({ offset, topic, payload, receivedAt })}\n`);
    this.commitTimer ??= setTimeout(() => this.commit(), this.commitDelayMs);
    return offset;
  }

  /** The offset through which every entry is processed (-1 when none). */
  get processedMark(): number {
    return this.processedThrough;
  }

  /** Entries not yet marked processed, in order: what a restart must process again. */
  unprocessed(): JournalEntry[] {
    const entries: JournalEntry[] = [];
    for (const start of this.segmentStarts()) {
      for (const entry of this.readSegment(start)) if (entry.offset > this.processedThrough) entries.push(entry);
    }
    // appendNow writes at once while append waits for its group commit: lines may sit out of offset order.
    return entries.sort((a, b) => a.offset - b.offset);
  }

  /** Marks every entry up to `offset` processed and deletes segments wholly behind it. */
  markProcessed(offset: number): void {
    if (offset <= this.processedThrough) return;
    this.processedThrough = offset;
    // Persisted at most every few ms, not per message: a crash only replays a few more (idempotent) entries.
    this.markTimer ??= setTimeout(() => this.persistMark(), MARK_DELAY_MS);
  }

  private persistMark(): void {
    this.markTimer = undefined;
    const offset = this.processedThrough;
    if (offset === this.persistedMark) return;
    this.beforeMark?.();
    const file = join(this.directory, 'processed.json');
    writeFileSync(`${file}.tmp`, JSON.stringify({ through: offset }));
    renameSync(`${file}.tmp`, file);
    this.persistedMark = offset;
    const starts = this.segmentStarts();
    for (let index = 0; index < starts.length - 1; index++) {
      if (starts[index + 1]! - 1 <= offset) unlinkSync(this.segmentFile(starts[index]!));
    }
  }

  /** Commits what is waiting, records the processed mark and closes the file. */
  close(): void {
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    if (this.markTimer !== undefined) clearTimeout(this.markTimer);
    this.persistMark();
    this.commit();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private commit(): void {
    this.commitTimer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) {
      if (this.fd !== undefined) fsyncSync(this.fd);
      return;
    }
    try {
      for (const item of batch) {
        if (this.fd === undefined || item.offset - this.segmentStart >= this.segmentSize) this.rotate(item.offset);
        writeSync(this.fd!, item.line);
      }
      fsyncSync(this.fd!);
      for (const item of batch) item.resolve(item.offset);
    } catch (error) {
      for (const item of batch) item.reject(error as Error);
    }
  }

  private rotate(offset: number): void {
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.segmentStart = offset;
    this.fd = openSync(this.segmentFile(offset), 'a', 0o600);
  }

  private segmentFile(start: number): string {
    return join(this.directory, `${String(start).padStart(15, '0')}.jsonl`);
  }

  private segmentStarts(): number[] {
    return readdirSync(this.directory)
      .filter((name) => /^\d{15}\.jsonl$/.test(name))
      .map((name) => Number(name.slice(0, 15)))
      .sort((a, b) => a - b);
  }

  /** A segment's complete entries; a torn last line (killed mid-write, never acknowledged) is dropped. */
  private readSegment(start: number): JournalEntry[] {
    const entries: JournalEntry[] = [];
    for (const line of readFileSync(this.segmentFile(start), 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        break;
      }
    }
    return entries;
  }
}
