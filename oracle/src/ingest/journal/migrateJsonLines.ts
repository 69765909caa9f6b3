import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { encodeRecord, type JournalEntry } from './records';

/** A segment of the first journal format: one JSON object per line, named by its first offset. */
const JSON_LINES_SEGMENT = /^\d{15}\.jsonl$/;
/**
 * How far out of offset order the first format's lines may sit (its awaited appends waited for the commit): entries
 * and bytes held to put them back in order.
 */
const REORDER_WINDOW = 64;
const REORDER_WINDOW_BYTES = 4 << 20;
const CHUNK_BYTES = 1 << 20;

/** Parameters of {@link migrateJsonLines}. */
export type MigrateJsonLinesParameters = {
  directory: string;
  /** The processed mark: entries up to it are not carried over. */
  processedThrough: number;
  /** Payloads above this are not carried over (the oracle would refuse them anyway). */
  maxPayloadBytes: number;
  /** Where the migrated entries go: the name of a new segment starting at `offset`. */
  segmentFile: (offset: number) => string;
};

/** What {@link migrateJsonLines} did. */
export type MigrationResult = {
  /** JSON-lines segment files found (and removed). */
  files: number;
  /** Unprocessed entries written in the new format. */
  migrated: number;
  /** Lines that were torn, not JSON, not an entry, out of order, too long, or above the payload limit. */
  skipped: number;
  /** The segment written ({@link MigrateJsonLinesParameters.segmentFile}), if any entry was carried over. */
  segment?: { start: number; bytes: number };
};

/**
 * Carries a journal of the first format (`NNN.jsonl`: one `{"offset","topic","payload","receivedAt"}` per line, the
 * payload as a JSON string) over to the segment format: its unprocessed entries are written, in offset order, into
 * one new segment (a temporary file, fsynced and renamed), then the old files are removed. Files are read in 1 MiB
 * chunks and one line at a time (a line longer than six times the payload limit, the most JSON escaping can make,
 * is skipped), so a segment of any size migrates in bounded memory. If a migration was interrupted after the
 * rename, the old files are just removed. Runs once, when the journal opens a directory holding `.jsonl` files.
 *
 * @example
 * const result = migrateJsonLines({ directory, processedThrough, maxPayloadBytes, segmentFile })
 */
export function migrateJsonLines(parameters: MigrateJsonLinesParameters): MigrationResult {
  const { directory, processedThrough, maxPayloadBytes } = parameters;
  const names = readdirSync(directory)
    .filter((name) => JSON_LINES_SEGMENT.test(name))
    .sort();
  const result: MigrationResult = { files: names.length, migrated: 0, skipped: 0 };
  if (names.length === 0) return result;
  const temporary = join(directory, 'migrating.tmp');
  const fd = openSync(temporary, 'w', 0o600);
  let bytes = 0;
  let start: number | undefined;
  let last = -1;
  const window: JournalEntry[] = [];
  let windowBytes = 0;
  const emit = (entry: JournalEntry) => {
    if (entry.offset <= last) {
      result.skipped++;
      return;
    }
    const record = encodeRecord(entry, bytes);
    writeSync(fd, record);
    bytes += record.length;
    start ??= entry.offset;
    last = entry.offset;
    result.migrated++;
  };
  try {
    for (const name of names) {
      for (const line of readLines(join(directory, name), 6 * (maxPayloadBytes + 65_536) + 1_024)) {
        const entry = line === undefined ? undefined : parseLine(line);
        if (entry === undefined || entry.payload.length > maxPayloadBytes) {
          result.skipped++;
          continue;
        }
        if (entry.offset <= processedThrough) continue;
        let at = window.length;
        while (at > 0 && window[at - 1]!.offset > entry.offset) at--;
        window.splice(at, 0, entry);
        windowBytes += entry.payload.length;
        while (window.length > REORDER_WINDOW || (window.length > 1 && windowBytes > REORDER_WINDOW_BYTES)) {
          const first = window.shift()!;
          windowBytes -= first.payload.length;
          emit(first);
        }
      }
    }
    window.splice(0).forEach(emit);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (start === undefined) unlinkSync(temporary);
  else {
    renameSync(temporary, parameters.segmentFile(start));
    result.segment = { start, bytes: statSync(parameters.segmentFile(start)).size };
  }
  syncDirectory(directory);
  for (const name of names) unlinkSync(join(directory, name));
  syncDirectory(directory);
  return result;
}

/** Whether a directory holds segments of the first format. */
export function hasJsonLinesSegments(directory: string): boolean {
  return readdirSync(directory).some((name) => JSON_LINES_SEGMENT.test(name));
}

/** Removes segments of the first format (left by a migration interrupted after its rename); how many. */
export function removeJsonLinesSegments(directory: string): number {
  const names = readdirSync(directory).filter((name) => JSON_LINES_SEGMENT.test(name));
  for (const name of names) unlinkSync(join(directory, name));
  return names.length;
}

/** Makes a directory's entries (a created, renamed or removed file) durable. */
export function syncDirectory(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parseLine(line: Buffer): JournalEntry | undefined {
  try {
    const value = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    const { offset, topic, payload, receivedAt } = value;
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) return undefined;
    if (typeof topic !== 'string' || typeof payload !== 'string' || typeof receivedAt !== 'number') return undefined;
    return { offset: offset as number, topic, payload: Buffer.from(payload, 'utf8'), receivedAt };
  } catch {
    return undefined;
  }
}

/**
 * A file's lines (without the newline), read in chunks into one line buffer that grows as needed (each line is
 * valid until the next is asked for); `undefined` for a line longer than `maxLineBytes`.
 */
function* readLines(file: string, maxLineBytes: number): Generator<Buffer | undefined> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let line = Buffer.allocUnsafe(64 * 1024);
    let length = 0;
    let tooLong = false;
    const take = (from: number, end: number) => {
      if (tooLong) return;
      if (length + end - from > maxLineBytes) {
        tooLong = true;
        return;
      }
      if (length + end - from > line.length) {
        const grown = Buffer.allocUnsafe(Math.min(maxLineBytes, Math.max(2 * line.length, length + end - from)));
        line.copy(grown, 0, 0, length);
        line = grown;
      }
      chunk.copy(line, length, from, end);
      length += end - from;
    };
    for (;;) {
      const read = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      let from = 0;
      while (from < read) {
        const newline = chunk.indexOf(0x0a, from);
        const end = newline === -1 || newline >= read ? read : newline;
        take(from, end);
        if (end === read) break;
        if (tooLong) yield undefined;
        else if (length > 0) yield line.subarray(0, length);
        length = 0;
        tooLong = false;
        from = end + 1;
      }
    }
    if (tooLong) yield undefined;
    else if (length > 0) yield line.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
