import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIndex, type Index, type OpenIndexOptions } from '../../../oracle/src/index/openIndex';

/** A temporary directory for index files, removed by `remove()`. */
export function tempDirectory(prefix = 'twin-index-'): { directory: string; file: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  return {
    directory,
    file: join(directory, 'data', 'index.sqlite'),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** An index on a fresh temp file; `close()` closes it and removes the directory. */
export function tempIndex(options?: OpenIndexOptions): { index: Index; file: string; close(): void } {
  const temp = tempDirectory();
  const index = openIndex(temp.file, options);
  return {
    index,
    file: temp.file,
    close() {
      index.close();
      temp.remove();
    },
  };
}

/** A DeviceID whose last byte is `n`. */
export function deviceIdOf(n: number): `0x${string}` {
  return `0x${n.toString(16).padStart(64, '0')}`;
}
