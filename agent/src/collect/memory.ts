import type { z } from 'zod';
import type { memorySchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, parseKeyNumberLines, readText, round } from './read';

/** The memory and swap section of the snapshot, KiB. */
export type Memory = z.output<typeof memorySchema>;

/**
 * Parses /proc/meminfo into the snapshot's memory section (KiB), as free(1) and sar -r compute it: used = total −
 * available; cached = Cached + SReclaimable (free's "cache"); %commit = Committed_AS over RAM + swap.
 *
 * @example
 * parseMeminfo(text).availableKiB
 */
export function parseMeminfo(text: string): Memory {
  const values = parseKeyNumberLines(text);
  const get = (key: string) => values.get(key) ?? 0;
  const total = get('MemTotal');
  if (total <= 0) throw new Error('no MemTotal in meminfo');
  const free = get('MemFree');
  // Kernels before 3.14 have no MemAvailable; free(1) then estimates it as free + buffers + cache.
  const availableKiB = values.get('MemAvailable') ?? free + get('Buffers') + get('Cached');
  const used = Math.max(0, total - availableKiB);
  const swapTotal = get('SwapTotal');
  const swapFree = get('SwapFree');
  const committed = get('Committed_AS');
  return {
    totalKiB: total,
    freeKiB: free,
    availableKiB,
    usedKiB: used,
    buffersKiB: get('Buffers'),
    cachedKiB: get('Cached') + get('SReclaimable'),
    activeKiB: get('Active'),
    inactiveKiB: get('Inactive'),
    dirtyKiB: get('Dirty'),
    committedKiB: committed,
    commitPercent: round((committed / (total + swapTotal)) * 100, 2),
    usedPercent: Math.min(100, round((used / total) * 100, 2)),
    swapTotalKiB: swapTotal,
    swapFreeKiB: swapFree,
    swapUsedKiB: Math.max(0, swapTotal - swapFree),
    swapCachedKiB: get('SwapCached'),
  };
}

/** Memory and swap probe: /proc/meminfo. */
export async function readMemory(paths: SystemPaths): Promise<Memory> {
  return parseMeminfo(await readText(join(paths.proc, 'meminfo')));
}
