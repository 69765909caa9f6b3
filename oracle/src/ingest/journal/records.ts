import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * The journal's segment format, in the manner of LevelDB's log: a segment file is a sequence of 32 KiB blocks; an
 * entry is split into fragments that never cross a block boundary, each `crc32 (u32 LE) | length (u16 LE) | type
 * (u8) | data`, type 1 a whole entry, 2 its first, 3 a middle and 4 its last fragment; the CRC-32 covers the type
 * byte and the data. A block's last 1–6 bytes, too few for a fragment header, are zeros. A reader that meets a bad
 * fragment (checksum, length or type) drops the rest of that block and resumes at the next one, so damage costs the
 * entries it touches and never what follows; an entry cut short at the end of the file (killed mid-write) is dropped.
 *
 * An entry's data: `offset (u64 LE) | receivedAt (f64 LE, ms since the epoch) | topic length (u16 LE) | topic (UTF-8)
 * | payload (the raw bytes received)`.
 */
export const BLOCK_BYTES = 32_768;
const HEADER_BYTES = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
/** The data of an entry before its topic: offset, receivedAt, topic length. */
const ENTRY_HEADER_BYTES = 18;
/** CRC-32 of each type byte alone: the start of each fragment's checksum. */
const TYPE_CRC = [0, FULL, FIRST, MIDDLE, LAST].map((type) => crc32(Buffer.of(type)));

/** One journaled message: its position, topic, raw payload and arrival time. */
export type JournalEntry = { offset: number; topic: string; payload: Buffer; receivedAt: number };

/** An entry to append: the payload may be any byte array. */
export type EntryToWrite = Omit<JournalEntry, 'payload'> & { payload: Uint8Array };

/** What reading a segment met besides entries. */
export type SegmentReport = {
  /** Entries read whole. */
  entries: number;
  /** Fragments or blocks found damaged (bad checksum, length or type, or an entry that does not decode). */
  damaged: number;
  /** The file ends inside an entry (torn by a kill or a power cut mid-write: never acknowledged). */
  torn: boolean;
  /** The file's bytes up to the end of its last whole entry (where a torn end begins). */
  wholeBytes: number;
  /** A short description of the first damage, for the log. */
  firstDamage?: string;
};

/** The data bytes of an entry with this topic and payload. */
export function entryDataBytes(topicBytes: number, payloadBytes: number): number {
  return ENTRY_HEADER_BYTES + topicBytes + payloadBytes;
}

/** At most how many bytes an entry of `dataBytes` takes in a segment, wherever in a block it starts. */
export function recordBytesBound(dataBytes: number): number {
  return dataBytes + HEADER_BYTES * (Math.ceil(dataBytes / (BLOCK_BYTES - HEADER_BYTES)) + 1) + HEADER_BYTES - 1;
}

/**
 * The bytes of one entry as fragments, for a segment whose size is now `segmentBytes` (where in its block the entry
 * starts).
 *
 * @example
 * writeSync(fd, encodeRecord({ offset, topic, payload, receivedAt }, size))
 */
export function encodeRecord(entry: EntryToWrite, segmentBytes: number): Buffer {
  const topic = Buffer.from(entry.topic, 'utf8');
  if (topic.length > 0xffff) throw new RangeError(`topic of ${topic.length} bytes: at most 65,535`);
  const dataBytes = entryDataBytes(topic.length, entry.payload.length);
  const data = Buffer.allocUnsafe(dataBytes);
  data.writeUInt32LE(entry.offset % 2 ** 32, 0);
  data.writeUInt32LE(Math.floor(entry.offset / 2 ** 32), 4);
  data.writeDoubleLE(entry.receivedAt, 8);
  data.writeUInt16LE(topic.length, 16);
  topic.copy(data, ENTRY_HEADER_BYTES);
  data.set(entry.payload, ENTRY_HEADER_BYTES + topic.length);

  const out = Buffer.allocUnsafe(layout(dataBytes, segmentBytes % BLOCK_BYTES));
  let at = 0;
  let position = segmentBytes % BLOCK_BYTES;
  let consumed = 0;
  while (consumed < dataBytes) {
    if (BLOCK_BYTES - position < HEADER_BYTES) {
      out.fill(0, at, at + BLOCK_BYTES - position);
      at += BLOCK_BYTES - position;
      position = 0;
    }
    const length = Math.min(BLOCK_BYTES - position - HEADER_BYTES, dataBytes - consumed);
    const first = consumed === 0;
    const last = consumed + length === dataBytes;
    const type = first && last ? FULL : first ? FIRST : last ? LAST : MIDDLE;
    const slice = data.subarray(consumed, consumed + length);
    out.writeUInt32LE(crc32(slice, TYPE_CRC[type]), at);
    out.writeUInt16LE(length, at + 4);
    out[at + 6] = type;
    slice.copy(out, at + HEADER_BYTES);
    at += HEADER_BYTES + length;
    position = (position + HEADER_BYTES + length) % BLOCK_BYTES;
    consumed += length;
  }
  return out;
}

/** The bytes {@link encodeRecord} writes for `dataBytes` of data starting `position` bytes into a block. */
function layout(dataBytes: number, position: number): number {
  let total = 0;
  let consumed = 0;
  while (consumed < dataBytes) {
    if (BLOCK_BYTES - position < HEADER_BYTES) {
      total += BLOCK_BYTES - position;
      position = 0;
    }
    const length = Math.min(BLOCK_BYTES - position - HEADER_BYTES, dataBytes - consumed);
    total += HEADER_BYTES + length;
    position = (position + HEADER_BYTES + length) % BLOCK_BYTES;
    consumed += length;
  }
  return total;
}

/**
 * The entries of a segment file in file order, read block by block: memory holds one block and the entry being
 * assembled (at most `maxDataBytes`, longer ones are counted as damaged and skipped), whatever the file's size.
 * Damage and a torn end are counted in `report`, never thrown.
 *
 * @example
 * const report = newSegmentReport()
 * for (const entry of readSegment(file, 1_114_112, report)) replay(entry)
 */
export function* readSegment(file: string, maxDataBytes: number, report: SegmentReport): Generator<JournalEntry> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const block = Buffer.allocUnsafe(BLOCK_BYTES);
    let pieces: Buffer[] | undefined;
    let assembled = 0;
    const damage = (what: string, at: number) => {
      report.damaged++;
      report.firstDamage ??= `${what} at byte ${at}`;
      pieces = undefined;
    };
    for (let blockStart = 0; blockStart < size; blockStart += BLOCK_BYTES) {
      const length = readSync(fd, block, 0, BLOCK_BYTES, blockStart);
      const lastBlock = blockStart + length >= size;
      let at = 0;
      while (at + HEADER_BYTES <= length) {
        const checksum = block.readUInt32LE(at);
        const dataLength = block.readUInt16LE(at + 4);
        const type = block[at + 6]!;
        if (at + HEADER_BYTES + dataLength > length) {
          if (lastBlock && length < BLOCK_BYTES) {
            report.torn = true;
            return;
          }
          damage('a fragment longer than its block', blockStart + at);
          break;
        }
        const data = block.subarray(at + HEADER_BYTES, at + HEADER_BYTES + dataLength);
        if (type < FULL || type > LAST || crc32(data, TYPE_CRC[type]) !== checksum) {
          damage(type < FULL || type > LAST ? `a fragment of type ${type}` : 'a checksum mismatch', blockStart + at);
          break;
        }
        at += HEADER_BYTES + dataLength;
        if (type === FULL || type === FIRST) {
          if (pieces !== undefined) damage('an entry without its last fragment', blockStart + at);
          pieces = [Buffer.from(data)];
          assembled = dataLength;
        } else if (pieces === undefined) {
          continue; // the rest of an entry whose start was damaged (already counted) or too long
        } else {
          pieces.push(Buffer.from(data));
          assembled += dataLength;
        }
        if (assembled > maxDataBytes) {
          damage(`an entry longer than ${maxDataBytes} bytes`, blockStart + at);
          continue;
        }
        if (type === FULL || type === LAST) {
          const entry = decodeEntry(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, assembled));
          pieces = undefined;
          if (entry === undefined) {
            damage('an entry that does not decode', blockStart + at);
            continue;
          }
          report.entries++;
          report.wholeBytes = blockStart + at;
          yield entry;
        }
      }
      // A last block that ends in a few bytes too short for a header, not zeros: a header torn mid-write.
      if (lastBlock && length < BLOCK_BYTES && at < length && block.subarray(at, length).some((byte) => byte !== 0)) {
        report.torn = true;
      }
    }
    if (pieces !== undefined) report.torn = true;
  } finally {
    closeSync(fd);
  }
}

/** An empty {@link SegmentReport}. */
export function newSegmentReport(): SegmentReport {
  return { entries: 0, damaged: 0, torn: false, wholeBytes: 0 };
}

function decodeEntry(data: Buffer): JournalEntry | undefined {
  if (data.length < ENTRY_HEADER_BYTES) return undefined;
  const offset = data.readUInt32LE(0) + data.readUInt32LE(4) * 2 ** 32;
  const receivedAt = data.readDoubleLE(8);
  const topicLength = data.readUInt16LE(16);
  if (!Number.isSafeInteger(offset) || !Number.isFinite(receivedAt)) return undefined;
  if (ENTRY_HEADER_BYTES + topicLength > data.length) return undefined;
  return {
    offset,
    receivedAt,
    topic: data.toString('utf8', ENTRY_HEADER_BYTES, ENTRY_HEADER_BYTES + topicLength),
    payload: data.subarray(ENTRY_HEADER_BYTES + topicLength),
  };
}
