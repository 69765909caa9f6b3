import { close, open, promises as fs, read } from 'node:fs';
import { join } from 'node:path';

/** Counters that wrap at 2^32 on 32-bit kernels (e.g. `unsigned long` fields of /proc on armv7l). */
const WRAP_32 = 2 ** 32;

/**
 * A file or directory a probe needs could not be read. The message says which path and why in words a user can
 * act on (`/sys/bus/usb/devices does not exist`, `/proc/1/maps: permission denied`); it becomes the probe's
 * unavailable reason.
 */
export class ReadError extends Error {
  override name = 'ReadError';
  constructor(readonly path: string, readonly code: string | undefined, message: string) {
    super(message);
  }
}

/** Turns a failed fs call on `path` into a {@link ReadError} with a readable message. */
export function readError(path: string, error: unknown): ReadError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new ReadError(path, code, `${path} does not exist`);
    case 'EACCES':
    case 'EPERM':
      return new ReadError(path, code, `${path}: permission denied (${code})`);
    case 'ENOTDIR':
      return new ReadError(path, code, `${path}: a parent is not a directory`);
    default:
      return new ReadError(path, code, `${path}: ${(error as Error | undefined)?.message ?? String(error)}`);
  }
}

/** The message of anything thrown, for an unavailable reason. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Size of a pooled read buffer: most procfs and sysfs files fit in one. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Reads in flight at once (libuv runs 4 at a time anyway): bounds the read buffers alive during a snapshot. */
const MAX_READS_IN_FLIGHT = 8;
/** A read holding its slot longer than this (stuck in the kernel) gives the slot back; its buffer stays with it. */
const READ_SLOT_MS = 1_000;
const freeBuffers: Buffer[] = [];
let readsInFlight = 0;
const waitingReads: (() => void)[] = [];

/**
 * Runs `work` when one of {@link MAX_READS_IN_FLIGHT} read slots is free, with a buffer from a small pool: a
 * snapshot's thousands of reads then reuse a few 64 KiB buffers instead of allocating one each, which kept up to
 * 15 MiB of buffers alive between collections (issue 17). `done` gives the slot and the buffer back; a read stuck
 * longer than {@link READ_SLOT_MS} gives its slot back without its buffer, so a hung file cannot stall the others.
 */
function withReadBuffer(work: (buffer: Buffer, done: () => void) => void): void {
  const start = () => {
    readsInFlight++;
    let slotHeld = true;
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      clearTimeout(timer);
      readsInFlight--;
      waitingReads.shift()?.();
    };
    const timer = setTimeout(releaseSlot, READ_SLOT_MS);
    timer.unref?.();
    const buffer = freeBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    work(buffer, () => {
      if (freeBuffers.length < MAX_READS_IN_FLIGHT) freeBuffers.push(buffer);
      releaseSlot();
    });
  };
  if (readsInFlight < MAX_READS_IN_FLIGHT) start();
  else waitingReads.push(start);
}

/**
 * Reads a whole file as UTF-8 with the callback API (open, read until 0 bytes, close): about half the CPU of
 * fs.promises.readFile on procfs, whose files report size 0 so readFile cannot size its buffer. Reads into a pooled
 * buffer ({@link withReadBuffer}); a file larger than it grows a buffer of its own.
 */
function readWhole(path: string, callback: (error: unknown, text?: string) => void): void {
  withReadBuffer((pooled, done) => {
    open(path, 'r', (openError, fd) => {
      if (openError) {
        done();
        return callback(openError);
      }
      let buffer = pooled;
      let total = 0;
      const next = () => {
        if (total === buffer.length) {
          const bigger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(bigger, 0, 0, total);
          buffer = bigger;
        }
        read(fd, buffer, total, buffer.length - total, null, (readError, bytes) => {
          if (readError || bytes === 0) {
            close(fd, () => undefined);
            const text = readError ? undefined : buffer.toString('utf8', 0, total);
            done();
            return readError ? callback(readError) : callback(null, text);
          }
          total += bytes;
          next();
        });
      };
      next();
    });
  });
}

/**
 * Reads a text file (procfs, sysfs or /etc) as UTF-8; throws a {@link ReadError} naming the path.
 *
 * @example
 * const meminfo = await readText(join(paths.proc, 'meminfo'))
 */
export function readText(path: string): Promise<string> {
  return new Promise((resolve, reject) =>
    readWhole(path, (error, text) => (error ? reject(readError(path, error)) : resolve(text!))),
  );
}

/** Like {@link readText}, but null when the file does not exist or cannot be read (optional attributes). */
export function readOptional(path: string): Promise<string | null> {
  return new Promise((resolve) => readWhole(path, (error, text) => resolve(error ? null : text!)));
}

/**
 * The first `maxBytes` of a small file in one read (open, read, close), or null when it cannot be read. For files
 * the kernel writes in one piece no larger than that (sysfs attributes, /proc/<pid>/{stat,status,statm,comm}) this
 * is the whole file, at a third less CPU than reading until end of file; /proc/<pid>/cmdline is cut there.
 */
export function readHead(path: string, maxBytes = 8192): Promise<string | null> {
  return new Promise((resolve) => {
    withReadBuffer((pooled, done) => {
      open(path, 'r', (openError, fd) => {
        if (openError) {
          done();
          return resolve(null);
        }
        const buffer = maxBytes <= pooled.length ? pooled : Buffer.allocUnsafe(maxBytes);
        read(fd, buffer, 0, maxBytes, null, (readError, bytes) => {
          close(fd, () => undefined);
          const text = readError ? null : buffer.toString('utf8', 0, bytes);
          done();
          resolve(text);
        });
      });
    });
  });
}

/** A sysfs attribute trimmed (and with a device-tree string's trailing NUL removed), or null when absent/empty. */
export async function readAttribute(path: string): Promise<string | null> {
  const text = await readHead(path);
  if (text === null) return null;
  const value = text.replace(/\0+$/, '').trim();
  return value === '' ? null : value;
}

/** The entries of a directory, sorted; throws a {@link ReadError} naming the path. */
export async function listDirectory(path: string): Promise<string[]> {
  try {
    return (await fs.readdir(path)).sort();
  } catch (error) {
    throw readError(path, error);
  }
}

/** The numeric entries of a procfs root (the process IDs), ascending. */
export async function listPids(proc: string): Promise<number[]> {
  const entries = await listDirectory(proc);
  return entries
    .filter((entry) => /^[0-9]+$/.test(entry))
    .map(Number)
    .sort((a, b) => a - b);
}

/** `join` re-exported so probes build paths from the configured roots in one way. */
export { join };

/**
 * How much a monotonic counter grew between two samples. A counter that went down wrapped at 2^32 (32-bit
 * kernels) when the previous value fits in 32 bits; otherwise it was reset and the growth is unknown (null).
 */
export function counterDelta(previous: number, current: number): number | null {
  if (current >= previous) return current - previous;
  if (previous < WRAP_32) return current + WRAP_32 - previous;
  return null;
}

/** Growth per second over `seconds`, or null when the growth or the interval is unknown. */
export function perSecond(delta: number | null, seconds: number | null): number | null {
  if (delta === null || seconds === null || !(seconds > 0)) return null;
  return delta / seconds;
}

/** Per-second rate of a counter between two samples (null without a previous sample). */
export function counterRate(previous: number | undefined, current: number, seconds: number | null): number | null {
  if (previous === undefined) return null;
  return perSecond(counterDelta(previous, current), seconds);
}

/** Rounds to `digits` decimals (percentages and rates in messages need no more). */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Rounds a nullable number. */
export function roundOrNull(value: number | null, digits = 2): number | null {
  return value === null ? null : round(value, digits);
}

/** Parses `Key: value unit` lines (meminfo, status) into a map of numbers; non-numeric values are skipped. */
export function parseKeyNumberLines(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(-?\d+)/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

/**
 * Parses the paired header/value lines of /proc/net/snmp and /proc/net/netstat (`Tcp: ActiveOpens …` then
 * `Tcp: 12 …`) into `{ Tcp: { ActiveOpens: 12, … } }`.
 */
export function parseProtocolCounters(text: string): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (let index = 0; index + 1 < lines.length; index += 2) {
    const header = lines[index]!.trim().split(/\s+/);
    const values = lines[index + 1]!.trim().split(/\s+/);
    const prefix = header[0]!.replace(/:$/, '');
    if (values[0]!.replace(/:$/, '') !== prefix) throw new Error(`unexpected line pair for ${prefix}`);
    const section: Record<string, number> = {};
    for (let column = 1; column < header.length; column += 1) section[header[column]!] = Number(values[column]);
    result[prefix] = section;
  }
  return result;
}
