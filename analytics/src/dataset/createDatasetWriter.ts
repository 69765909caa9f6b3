import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DATASET_COLUMN_NAMES, type DatasetRow } from './columns';

/** Where {@link createDatasetWriter} writes. */
export type DatasetPaths = { jsonl: string; csv: string };

/** A streaming writer of dataset rows to JSONL and CSV at once. */
export type DatasetWriter = {
  readonly paths: DatasetPaths;
  write(row: DatasetRow): void;
  /** Rows written so far. */
  readonly rows: number;
  close(): void;
};

/**
 * The two files of an output name: `FILE.jsonl` (or FILE itself when it ends in `.jsonl`) and the same base name
 * with `.csv`.
 *
 * @example
 * datasetPaths('out/windows') // { jsonl: 'out/windows.jsonl', csv: 'out/windows.csv' }
 * datasetPaths('out/w.jsonl') // { jsonl: 'out/w.jsonl', csv: 'out/w.csv' }
 */
export function datasetPaths(out: string): DatasetPaths {
  const base = out.endsWith('.jsonl') ? out.slice(0, -'.jsonl'.length) : out;
  return { jsonl: `${base}.jsonl`, csv: `${base}.csv` };
}

/**
 * One CSV cell (RFC 4180): null is empty; text with a comma, quote or line break is quoted.
 *
 * @example
 * csvCell('a,b') // '"a,b"'
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Opens both files (creating their directories, truncating the files), writes the CSV header, and streams rows: the same rows in the same order in
 * both, JSONL objects keyed by the column names.
 *
 * @example
 * const writer = createDatasetWriter(datasetPaths('windows'))
 * writer.write(row)
 * writer.close()
 */
export function createDatasetWriter(paths: DatasetPaths): DatasetWriter {
  for (const path of [paths.jsonl, paths.csv]) mkdirSync(dirname(path), { recursive: true });
  const jsonl = openSync(paths.jsonl, 'w');
  const csv = openSync(paths.csv, 'w');
  writeSync(csv, `${DATASET_COLUMN_NAMES.join(',')}\n`);
  let rows = 0;
  return {
    paths,
    get rows() {
      return rows;
    },
    write(row) {
      const ordered = Object.fromEntries(DATASET_COLUMN_NAMES.map((name) => [name, row[name] ?? null]));
      writeSync(jsonl, `${JSON.stringify(ordered)}\n`);
      writeSync(csv, `${DATASET_COLUMN_NAMES.map((name) => csvCell(row[name])).join(',')}\n`);
      rows++;
    },
    close() {
      closeSync(jsonl);
      closeSync(csv);
    },
  };
}
