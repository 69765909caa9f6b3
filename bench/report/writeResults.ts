import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchResults } from '../runBench';

/**
 * Writes the results as JSON to `<outDir>/<ISO date>.json` (colons made file-safe) and `<outDir>/latest.json`;
 * returns both paths.
 *
 * @example
 * const { dated, latest } = writeResults(results, 'bench/results')
 */
export function writeResults(results: BenchResults, outDir: string): { dated: string; latest: string } {
  const directory = resolve(outDir);
  mkdirSync(directory, { recursive: true });
  const text = `${JSON.stringify(
    results,
    (_key, value) => (typeof value === 'bigint' ? value.toString() : value),
    2,
  )}\n`;
  const dated = join(directory, `${results.generatedAt.replace(/:/g, '-')}.json`);
  const latest = join(directory, 'latest.json');
  writeFileSync(dated, text);
  writeFileSync(latest, text);
  return { dated, latest };
}
