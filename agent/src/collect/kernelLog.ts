import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { z } from 'zod';
import type { kernelLogSchema } from '../../../twin-core/src/messages/snapshot';
import { commandRunner } from './command';
import type { CollectOptions } from './context';
import { errorMessage, join, readError } from './read';

/** The kernel message buffer tail of the snapshot. */
export type KernelLog = z.output<typeof kernelLogSchema>;
/** One kernel log line. */
export type KernelLogLine = KernelLog['lines'][number];

/** Most records read from /dev/kmsg in one collection (the ring holds far fewer). */
const MAX_RECORDS = 200_000;

/**
 * Parses /dev/kmsg records (`pri,seq,usec,flags;message`, continuation lines starting with a space are
 * key=value metadata and skipped). Priority is the syslog level (pri & 7); the time is seconds since boot.
 *
 * @example
 * parseKmsg('6,1,1437146,-;random: crng reseeded\n') // [{ uptimeSeconds: 1.437146, priority: 6, message: 'random: crng reseeded' }]
 */
export function parseKmsg(text: string): KernelLogLine[] {
  const lines: KernelLogLine[] = [];
  for (const record of text.split('\n')) {
    if (record === '' || record.startsWith(' ')) continue;
    const semicolon = record.indexOf(';');
    if (semicolon < 0) continue;
    const [pri, , usec] = record.slice(0, semicolon).split(',');
    lines.push({
      uptimeSeconds: usec !== undefined && /^\d+$/.test(usec) ? Number(usec) / 1e6 : null,
      priority: pri !== undefined && /^\d+$/.test(pri) ? Number(pri) & 7 : null,
      message: record.slice(semicolon + 1).slice(0, 1024),
    });
  }
  return lines;
}

/**
 * Parses `dmesg -r` output (`<6>[    1.437146] message`); lines without a level or time keep null there.
 */
export function parseDmesg(text: string): KernelLogLine[] {
  const lines: KernelLogLine[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^(?:<(\d+)>)?(?:\[\s*(\d+\.\d+)\]\s?)?(.*)$/.exec(line)!;
    lines.push({
      uptimeSeconds: match[2] === undefined ? null : Number(match[2]),
      priority: match[1] === undefined ? null : Number(match[1]) & 7,
      message: match[3]!.slice(0, 1024),
    });
  }
  return lines;
}

/**
 * Reads the kernel ring buffer from /dev/kmsg without blocking: opened O_NONBLOCK, read record by record until
 * EAGAIN (end of the buffer) or end of file, keeping the last `keep` lines. Reads are synchronous because a
 * non-blocking read of kmsg returns at once, and thousands of records would otherwise cost a thread-pool round
 * trip each. EPIPE (a record overwritten while reading) skips to the next one.
 */
export function readKmsg(path: string, keep: number): KernelLogLine[] {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw readError(path, error);
  }
  const buffer = Buffer.alloc(16 * 1024);
  const kept: KernelLogLine[] = [];
  let pending = '';
  try {
    for (let records = 0; records < MAX_RECORDS; records += 1) {
      let bytes: number;
      try {
        bytes = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue;
        throw readError(path, error);
      }
      if (bytes === 0) break;
      // kmsg returns one whole record per read; a regular file (a fixture) may cut a record, kept for the next read.
      pending += buffer.toString('utf8', 0, bytes);
      const end = pending.lastIndexOf('\n');
      if (end < 0) continue;
      kept.push(...parseKmsg(pending.slice(0, end + 1)));
      pending = pending.slice(end + 1);
      if (kept.length > keep * 2) kept.splice(0, kept.length - keep);
    }
  } finally {
    closeSync(fd);
  }
  if (pending !== '') kept.push(...parseKmsg(pending));
  return keep > 0 ? kept.slice(-keep) : [];
}

/**
 * Kernel message buffer probe: the last `options.kernelLogLines` lines of /dev/kmsg; when kmsg cannot be read
 * (no permission with dmesg_restrict, missing in a container) `dmesg -r` with `options.commandTimeoutMs`; when
 * both fail, the error names both reasons.
 */
export async function readKernelLog(options: CollectOptions): Promise<KernelLog> {
  const keep = options.kernelLogLines;
  let kmsgReason: string;
  try {
    return { source: '/dev/kmsg', lines: readKmsg(join(options.paths.dev, 'kmsg'), keep) };
  } catch (error) {
    kmsgReason = errorMessage(error);
  }
  try {
    return {
      source: 'dmesg',
      lines:
        keep > 0
          ? parseDmesg(await commandRunner(options)('dmesg', ['-r'], options.commandTimeoutMs)).slice(-keep)
          : [],
    };
  } catch (error) {
    throw new Error(`${kmsgReason}; ${errorMessage(error)}`);
  }
}
