import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { LibraryDependencies } from '../../../twin-core/src/messages/deviceActivity';
import type { CollectOptions } from './context';
import { errorMessage } from './read';

/** Reads `length` bytes at `offset` of an open file. */
type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/**
 * The `DT_NEEDED` entries of an ELF file (32 or 64 bit, either byte order): the shared objects it names as direct
 * dependencies, in order. Empty for a static executable; throws for what is not ELF.
 *
 * @example
 * await readNeeded(readAt) // ['libc.so.6']
 */
export async function readNeeded(readAt: ReadAt): Promise<string[]> {
  const header = await readAt(0, 64);
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = header[4] === 2;
  const little = header[5] === 1;
  const u16 = (buffer: Buffer, at: number) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
  const u32 = (buffer: Buffer, at: number) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
  const word = (buffer: Buffer, at: number) =>
    is64 ? Number(little ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at)) : u32(buffer, at);
  const phoff = word(header, is64 ? 32 : 28);
  const phentsize = u16(header, is64 ? 54 : 42);
  const phnum = Math.min(u16(header, is64 ? 56 : 44), 128);
  const table = await readAt(phoff, phentsize * phnum);
  const loads: Array<{ vaddr: number; offset: number; size: number }> = [];
  let dynamic: { offset: number; size: number } | null = null;
  for (let index = 0; index < phnum; index++) {
    const at = index * phentsize;
    const type = u32(table, at);
    const offset = word(table, at + (is64 ? 8 : 4));
    const vaddr = word(table, at + (is64 ? 16 : 8));
    const size = word(table, at + (is64 ? 32 : 16));
    if (type === 1) loads.push({ vaddr, offset, size });
    else if (type === 2) dynamic = { offset, size };
  }
  if (!dynamic) return [];
  const entries = await readAt(dynamic.offset, Math.min(dynamic.size, 65_536));
  const entrySize = is64 ? 16 : 8;
  const needed: number[] = [];
  let strtab = -1;
  let strsz = 0;
  for (let at = 0; at + entrySize <= entries.length; at += entrySize) {
    const tag = word(entries, at);
    const value = word(entries, at + entrySize / 2);
    if (tag === 0) break;
    if (tag === 1) needed.push(value);
    else if (tag === 5) strtab = value;
    else if (tag === 10) strsz = value;
  }
  const segment = loads.find((load) => strtab >= load.vaddr && strtab < load.vaddr + load.size);
  if (!segment || needed.length === 0) return [];
  const strings = await readAt(strtab - segment.vaddr + segment.offset, Math.min(strsz || 65_536, 1_048_576));
  return needed.slice(0, 256).map((offset) => {
    const end = strings.indexOf(0, offset);
    return strings.toString('latin1', offset, end < 0 ? undefined : end).slice(0, 256);
  });
}

/**
 * Parses `ldd -u FILE`: the `Unused direct dependencies:` list (full paths); empty when it lists none.
 *
 * @example
 * parseLddUnused('Unused direct dependencies:\n\t/lib/x86_64-linux-gnu/libm.so.6\n') // ['/lib/x86_64-linux-gnu/libm.so.6']
 */
export function parseLddUnused(text: string): string[] {
  const at = text.indexOf('Unused direct dependencies:');
  if (at < 0) return [];
  return text
    .slice(at + 'Unused direct dependencies:'.length)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('/'))
    .slice(0, 256);
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** `ldd -u FILE`'s output: exit 0 (none unused) and exit 1 with the list are both answers. */
function lddUnused(executable: string, options: CollectOptions): Promise<string> {
  if (options.host?.runCommand) return options.host.runCommand('ldd', ['-u', executable], options.commandTimeoutMs);
  return new Promise((resolve, reject) => {
    execFile('ldd', ['-u', executable], { timeout: options.commandTimeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (!error || String(stdout).includes('Unused direct dependencies:')) return resolve(String(stdout));
      const code = (error as NodeJS.ErrnoException).code;
      reject(new Error(code === 'ENOENT' ? 'ldd is not installed' : `ldd -u failed: ${String(stderr).trim().split('\n')[0] || errorMessage(error)}`));
    });
  });
}

/**
 * Used and unused direct dependencies of one executable: its `DT_NEEDED` names (read from the file itself), minus
 * those glibc's `ldd -u` reports unused (the program's loader in trace mode: the program itself does not run).
 */
export async function readLibraryDependencies(executable: string, options: CollectOptions): Promise<LibraryDependencies> {
  const file = await open(executable, 'r');
  let needed: string[];
  try {
    needed = await readNeeded(async (offset, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    });
  } finally {
    await file.close();
  }
  const unusedPaths = parseLddUnused(await lddUnused(executable, options));
  const unusedNames = new Set(unusedPaths.map(baseName));
  return {
    executable: executable.slice(0, 512),
    used: needed.filter((name) => !unusedNames.has(name)),
    unused: needed.filter((name) => unusedNames.has(name)),
  };
}
