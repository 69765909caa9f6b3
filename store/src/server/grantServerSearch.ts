import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * As root, the embedded server runs as the system user `postgres`, which must be able to pass through every
 * directory above its data directory (search permission; PostgreSQL refuses to run as root). For each existing
 * ancestor of `dataDir` that others cannot search (e.g. `/root`, mode 0700, or a `.data` the agent made 0700), adds
 * that one bit (`o+x`: pass through, not list or read) and returns the directories changed, so the caller can say so.
 * Does nothing and returns `[]` when not root.
 *
 * @example
 * grantServerSearch('/root/twin-registry/.data/postgres') // ['/root', '/root/twin-registry/.data']
 */
export function grantServerSearch(dataDir: string, isRoot = process.getuid?.() === 0): string[] {
  if (!isRoot) return [];
  const changed: string[] = [];
  const ancestors: string[] = [];
  for (let directory = dirname(resolve(dataDir)); ; directory = dirname(directory)) {
    ancestors.unshift(directory);
    if (dirname(directory) === directory) break;
  }
  for (const directory of ancestors) {
    if (!existsSync(directory)) break;
    const { mode } = statSync(directory);
    if ((mode & 0o001) !== 0) continue;
    chmodSync(directory, (mode & 0o7777) | 0o001);
    changed.push(directory);
  }
  return changed;
}
