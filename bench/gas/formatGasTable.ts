import type { GasBenchResult } from './runGasBench';

const number = (value: number) => value.toLocaleString('en-US');
const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'NOT met');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The benchmark's figures as plain-text tables: actions with targets, batched anchoring per batch size, and the
 * naive baseline with the ratio.
 *
 * @example
 * console.log(formatGasTable(await runGasBench({ quick: false })))
 */
export function formatGasTable(result: GasBenchResult): string {
  const actions = table(
    ['action', 'gas', 'target', ''],
    result.actions.map((action) => [
      action.name,
      number(action.gasUsed),
      action.target === undefined ? '' : `<= ${number(action.target)}`,
      verdict(action.met),
    ]),
  );
  const anchoring = table(
    ['snapshots per batch', 'gas per batch', 'gas per snapshot', 'target', ''],
    result.anchoring.map((figure) => [
      number(figure.batchSize),
      number(figure.gasPerBatch),
      number(figure.gasPerSnapshot),
      figure.target === undefined ? '' : `<= ${number(figure.target)}`,
      verdict(figure.met),
    ]),
  );
  const naive =
    `naive (one transaction per snapshot, mean of ${result.naive.anchors}): ` +
    `${number(result.naive.gasPerSnapshot)} gas per snapshot\n` +
    `naive / batched at 1,024: ${result.ratioAt1024}x (target >= ${result.ratioTarget}x: ${verdict(result.ratioMet)})`;
  return [actions, anchoring, naive].join('\n\n');
}
