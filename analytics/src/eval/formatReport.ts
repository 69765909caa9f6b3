import type { EvaluationReport } from './runEvaluation';

const percent = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);
const fixed = (value: number | null, digits = 3) => (value === null ? 'n/a' : value.toFixed(digits));

/**
 * The evaluation as a text table: one row per detector, then the false-positive rate on normal devices.
 *
 * @example
 * process.stdout.write(formatReport(runEvaluation(options)))
 */
export function formatReport(report: EvaluationReport): string {
  const header = ['detector', 'episodes', 'detected', 'FP', 'dup', 'precision', 'recall', 'F1', 'median latency s'];
  const rows = report.scores.detectors.map((score) => [
    score.behaviour,
    String(score.episodes),
    String(score.detected),
    String(score.falsePositives),
    String(score.duplicateAlerts),
    fixed(score.precision),
    fixed(score.recall),
    fixed(score.f1),
    fixed(score.medianLatencySeconds, 1),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  const { normal } = report.scores;
  const judgedMinutes = (report.judged.toMs - report.judged.fromMs) / 60_000;
  return [
    `Evaluation: seed ${report.seed}, ${report.devices} mixed + ${report.normalDevices} normal-only devices, ` +
      `${report.commissionMinutes} min commissioning, ${report.minutes} min of scenario, ${judgedMinutes} min judged; ` +
      `${report.messages.toLocaleString('en-US')} messages; grace ${report.graceSeconds} s`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `macro F1 (7 behaviours): ${fixed(report.scores.macroF1)}`,
    `normal devices: ${normal.devices} (${normal.deviceHours.toFixed(1)} device-hours): ${normal.alerts} alerts = ` +
      `${normal.alertsPerDeviceHour.toFixed(4)} per device-hour; ${normal.flaggedWindows} of ${normal.windows} ` +
      `${normal.windowSeconds}-s windows flagged = ${percent(normal.flaggedShare)}`,
    '',
  ].join('\n');
}
