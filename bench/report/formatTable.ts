import type { TableRow } from './tableRows';

/**
 * The results table as aligned plain text (also valid Markdown when `markdown` is set).
 *
 * @example
 * console.log(formatTable(results.table))
 */
export function formatTable(rows: readonly TableRow[], markdown = false): string {
  const header = ['section', 'figure', 'value', 'target', 'verdict'];
  const cells = rows.map((row) => [
    row.section,
    row.figure,
    row.value === undefined || !Number.isFinite(row.value)
      ? '–'
      : `${row.value.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${row.unit}`.trim(),
    row.target === '' ? '' : `${row.target} ${row.unit}`.trim(),
    row.verdict,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const pad = (line: string[]) =>
    line.map((cell, column) => (column === 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)));
  if (markdown) {
    const separator = widths.map((width, column) => (column === 2 ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width)));
    return [header, separator, ...cells].map((line) => `| ${pad(line).join(' | ')} |`).join('\n');
  }
  return [
    pad(header).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map((line) => pad(line).join('  ').trimEnd()),
  ].join('\n');
}
