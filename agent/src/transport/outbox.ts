import {
  closeSync,
  existsSync,
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

/** One message waiting to be published. */
export type OutboxEntry = { topic: string; payload: string; retain: boolean };

/** Parameters of {@link Outbox}. */
export type OutboxParameters = {
  /** Directory of the segment files and the acknowledgement pointer. */
  directory: string;
  /** Most messages kept; when full the oldest is dropped and counted (default 100,000). */
  maxMessages?: number;
  /** Messages per segment file (default 1,000). */
  segmentSize?: number;
  /** fsync every append: survives power loss, at a cost per message (default false: survives a crash). */
  fsync?: boolean;
};

type Segment = { number: number; entries: OutboxEntry[] };

const POINTER_FILE = 'pointer.json';

/**
 * A disk-backed FIFO of messages for store-and-forward: every message is appended to a segment file before it is
 * sent, removed only once the broker acknowledged it, and replayed in order after a restart. Bounded: when full the
 * oldest message is dropped and counted.
 *
 * @example
 * const outbox = new Outbox({ directory: join(dataDir, 'outbox') })
 * outbox.append({ topic, payload, retain: false })
 * const first = outbox.peek(0)
 * outbox.acknowledge(1)
 */
export class Outbox {
  private readonly directory: string;
  private readonly maxMessages: number;
  private readonly segmentSize: number;
  private readonly fsync: boolean;
  private readonly segments: Segment[] = [];
  /** Entries of the head segment already acknowledged or dropped. */
  private headOffset = 0;
  private pending = 0;
  private droppedTotal = 0;
  private tailFd: number | undefined;
  /** Number of the newest segment ever created here. */
  private lastSegmentNumber = 0;
  /** Whether appends may go to the tail segment (after recovery they never do: a torn line is never extended). */
  private tailWritable = false;

  constructor(parameters: OutboxParameters) {
    this.directory = parameters.directory;
    this.maxMessages = parameters.maxMessages ?? 100_000;
    this.segmentSize = parameters.segmentSize ?? 1_000;
    this.fsync = parameters.fsync ?? false;
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    this.recover();
  }

  /** Messages waiting (not yet acknowledged). */
  get size(): number {
    return this.pending;
  }

  /** Messages dropped because the outbox was full, over its whole life. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Appends a message at the tail, dropping the oldest when full. */
  append(entry: OutboxEntry): void {
    if (this.pending >= this.maxMessages) this.skip(1, true);
    let tail = this.segments[this.segments.length - 1];
    if (tail === undefined || !this.tailWritable || tail.entries.length >= this.segmentSize) tail = this.openSegment();
    const fd = this.tailFd ?? openSync(this.segmentFile(tail.number), 'a', 0o600);
    this.tailFd = fd;
    writeSync(fd, `${JSON.stringify(entry)}\n`);
    if (this.fsync) fsyncSync(fd);
    tail.entries.push(entry);
    this.pending++;
  }

  /** The message `index` places after the head (0 = oldest waiting), or undefined past the tail. */
  peek(index: number): OutboxEntry | undefined {
    let position = this.headOffset + index;
    for (const segment of this.segments) {
      if (position < segment.entries.length) return segment.entries[position];
      position -= segment.entries.length;
    }
    return undefined;
  }

  /** Removes the `count` oldest messages: the broker acknowledged them. */
  acknowledge(count: number): void {
    this.skip(count, false);
  }

  /** Flushes and closes the tail segment. */
  close(): void {
    if (this.tailFd !== undefined) {
      fsyncSync(this.tailFd);
      closeSync(this.tailFd);
      this.tailFd = undefined;
    }
    this.writePointer();
  }

  private skip(count: number, dropping: boolean): void {
    const removed = Math.min(count, this.pending);
    if (removed <= 0) return;
    this.pending -= removed;
    this.headOffset += removed;
    if (dropping) this.droppedTotal += removed;
    this.deleteConsumedSegments();
    this.writePointer();
  }

  /** Deletes head segments every entry of which is acknowledged, except a tail that still takes appends. */
  private deleteConsumedSegments(): void {
    while (this.segments.length > 0 && this.headOffset >= this.segments[0]!.entries.length) {
      const head = this.segments[0]!;
      const isTail = this.segments.length === 1;
      if (isTail && this.tailWritable && head.entries.length < this.segmentSize) break;
      this.headOffset -= head.entries.length;
      this.segments.shift();
      if (isTail && this.tailFd !== undefined) {
        closeSync(this.tailFd);
        this.tailFd = undefined;
      }
      if (existsSync(this.segmentFile(head.number))) unlinkSync(this.segmentFile(head.number));
    }
  }

  private openSegment(): Segment {
    if (this.tailFd !== undefined) {
      closeSync(this.tailFd);
      this.tailFd = undefined;
    }
    const segment = { number: ++this.lastSegmentNumber, entries: [] };
    this.segments.push(segment);
    this.tailWritable = true;
    return segment;
  }

  private segmentFile(number: number): string {
    return join(this.directory, `${String(number).padStart(12, '0')}.jsonl`);
  }

  private writePointer(): void {
    const head = this.segments[0]?.number ?? null;
    const pointer = JSON.stringify({ headSegment: head, headOffset: this.headOffset, dropped: this.droppedTotal });
    const file = join(this.directory, POINTER_FILE);
    writeFileSync(`${file}.tmp`, pointer, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** Rebuilds the queue from the segment files and the pointer; a torn last line (crash mid-write) is ignored. */
  private recover(): void {
    const numbers = readdirSync(this.directory)
      .filter((name) => /^\d{12}\.jsonl$/.test(name))
      .map((name) => Number(name.slice(0, 12)))
      .sort((a, b) => a - b);
    let pointer: { headSegment: number | null; headOffset: number; dropped: number } = {
      headSegment: null,
      headOffset: 0,
      dropped: 0,
    };
    const pointerFile = join(this.directory, POINTER_FILE);
    if (existsSync(pointerFile)) {
      try {
        pointer = JSON.parse(readFileSync(pointerFile, 'utf8'));
      } catch {
        // a torn pointer only means resending what was already acknowledged
      }
    }
    this.droppedTotal = pointer.dropped ?? 0;
    for (const number of numbers) {
      if (pointer.headSegment !== null && number < pointer.headSegment) {
        unlinkSync(this.segmentFile(number));
        continue;
      }
      const entries: OutboxEntry[] = [];
      for (const line of readFileSync(this.segmentFile(number), 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          entries.push(JSON.parse(line) as OutboxEntry);
        } catch {
          break;
        }
      }
      this.segments.push({ number, entries });
      this.lastSegmentNumber = number;
    }
    const head = this.segments[0];
    this.headOffset =
      head !== undefined && head.number === pointer.headSegment ? Math.min(pointer.headOffset, head.entries.length) : 0;
    this.pending = this.segments.reduce((sum, segment) => sum + segment.entries.length, 0) - this.headOffset;
    this.tailWritable = false;
    this.deleteConsumedSegments();
  }
}
