import type { z } from 'zod';
import type { sharedLibrariesSchema } from '../../../twin-core/src/messages/snapshot';
import type { CollectOptions } from './context';
import { readlink, stat } from 'node:fs/promises';
import type { LibraryDependencies } from '../../../twin-core/src/messages/deviceActivity';
import { readLibraryDependencies } from './libraryDependencies';
import { errorMessage, join, listPids, readAttribute, readHead, readOptional } from './read';

/** Dependencies per executable (path and modification time), so each is read once while it is unchanged. */
const dependencyCache = new Map<string, LibraryDependencies>();
const CACHE_LIMIT = 64;

/** The direct dependencies of a process's executable (`/proc/<pid>/exe`), or why they cannot be read. */
async function dependenciesOf(
  pid: number,
  options: CollectOptions,
): Promise<{ available: true; value: LibraryDependencies } | { available: false; reason: string }> {
  try {
    const executable = (await readlink(join(options.paths.proc, String(pid), 'exe'))).replace(/ \(deleted\)$/, '');
    const key = `${executable}:${(await stat(executable)).mtimeMs}`;
    let value = dependencyCache.get(key);
    if (!value) {
      value = await readLibraryDependencies(executable, options);
      dependencyCache.set(key, value);
      if (dependencyCache.size > CACHE_LIMIT) dependencyCache.delete(dependencyCache.keys().next().value!);
    }
    return { available: true, value };
  } catch (error) {
    return { available: false, reason: errorMessage(error).slice(0, 500) || 'unreadable executable' };
  }
}

/** Shared objects per process. */
export type SharedLibraries = z.output<typeof sharedLibrariesSchema>;

/** Resident pages from /proc/<pid>/statm (its second number): enough to rank processes by size. */
export function parseStatmResident(text: string): number {
  const resident = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(resident) ? resident : 0;
}

/**
 * The shared objects a process has mapped, from /proc/<pid>/maps: file-backed mappings whose name is a shared
 * object (`*.so`, `*.so.N…`), each once, sorted. These are the libraries in use (loaded), direct or not.
 *
 * @example
 * parseMapsLibraries(maps) // ['/usr/lib/arm-linux-gnueabihf/libc.so.6', '/usr/lib/ld-linux-armhf.so.3', …]
 */
export function parseMapsLibraries(text: string): string[] {
  const libraries = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\/.*)$/.exec(line);
    if (!match) continue;
    const path = match[1]!.replace(/ \(deleted\)$/, '').trim();
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (/\.so(\.[0-9A-Za-z_-]+)*$/.test(name)) libraries.add(path.slice(0, 512));
  }
  return [...libraries].sort();
}

/**
 * Shared libraries probe (seed 001 IV.12): for the `options.sharedLibrariesProcessLimit` processes with the largest
 * resident memory (/proc/<pid>/statm), the shared objects in their /proc/<pid>/maps (the libraries in use, direct or
 * not) and their executable's direct dependencies, used and unused (ELF `DT_NEEDED` and `ldd -u`). Processes whose maps this
 * agent may not read (other users' processes without root) are passed over for the next largest.
 */
export async function readSharedLibraries(options: CollectOptions): Promise<SharedLibraries> {
  const { proc } = options.paths;
  const limit = options.sharedLibrariesProcessLimit;
  if (limit <= 0) return [];
  const pids = await listPids(proc);
  const sizes = await Promise.all(
    pids.map(async (pid) => {
      const statm = await readHead(join(proc, String(pid), 'statm'), 256);
      return { pid, resident: statm === null ? 0 : parseStatmResident(statm) };
    }),
  );
  const candidates = sizes
    .filter((entry) => entry.resident > 0)
    .sort((a, b) => b.resident - a.resident || a.pid - b.pid);
  const result: SharedLibraries = [];
  // Read in batches of `limit` until enough processes gave readable maps.
  for (let start = 0; start < candidates.length && result.length < limit; start += limit) {
    const batch = candidates.slice(start, start + limit);
    const rows = await Promise.all(
      batch.map(async ({ pid }) => {
        const [maps, comm] = await Promise.all([
          readOptional(join(proc, String(pid), 'maps')),
          readAttribute(join(proc, String(pid), 'comm')),
        ]);
        if (maps === null) return null;
        return {
          pid,
          name: (comm ?? String(pid)).slice(0, 64),
          libraries: parseMapsLibraries(maps),
          dependencies: await dependenciesOf(pid, options),
        };
      }),
    );
    for (const row of rows) if (row !== null && result.length < limit) result.push(row);
  }
  return result;
}
