import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BEHAVIOURS } from '../../twin-core/src/messages/behaviour';
import { DATASET_COLUMN_NAMES } from '../../analytics/src/dataset/columns';
import { DETECTOR_NAMES } from '../../analytics/src/detect/detectors';
import { main as datasetMain } from '../../analytics/src/dataset/cli';
import { main as evalMain } from '../../analytics/src/eval/cli';
import type { EvaluationReport } from '../../analytics/src/eval/runEvaluation';

const ROOT = resolve(__dirname, '..', '..');

/** Runs a CLI's main in this process, capturing what it writes to stdout and stderr. */
function capture(main: (argv: string[]) => number, argv: string[]) {
  const output = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((output.stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((output.stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { code: main(argv), ...output };
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
}

/** Splits one CSV line (RFC 4180 quoting). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') (cell += '"'), index++;
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') cells.push(cell), (cell = '');
    else cell += char;
  }
  cells.push(cell);
  return cells;
}

/** Column names of the dataset table in analytics/README.md (first cell of each row of the `## Dataset` table). */
function documentedColumns(): string[] {
  const readme = readFileSync(join(ROOT, 'analytics', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Dataset'));
  return [...section.matchAll(/^\| `([^`]+)`\s+\|/gm)].map((match) => match[1]!);
}

describe('analytics: evaluation and dataset commands', function () {
  this.timeout(60_000);
  let directory: string;
  before(() => (directory = mkdtempSync(join(tmpdir(), 'analytics-cli-'))));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('eval: prints the per-detector table and writes the JSON report (small quick config)', function () {
    const json = join(directory, 'eval.json');
    const argv = ['--seed', 'quick', '--devices', '30', '--normal-devices', '10', '--minutes', '12'];
    const { code, stdout } = capture(evalMain, [...argv, '--episode-fraction', '1', '--json', json]);
    expect(code).to.equal(0);
    const lines = stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('detector'));
    expect(lines[header]!.split(/\s{2,}/)).to.deep.equal([
      'detector',
      'episodes',
      'detected',
      'FP',
      'dup',
      'precision',
      'recall',
      'F1',
      'median latency s',
    ]);
    const rows = lines.slice(header + 1, header + 1 + DETECTOR_NAMES.length).map((line) => line.trim().split(/\s+/));
    expect(rows.map((row) => row[0])).to.deep.equal(DETECTOR_NAMES);
    for (const row of rows) expect(Number(row[7]), row[0]).to.be.within(0, 1);
    expect(stdout).to.match(/macro F1 \(7 behaviours\): [01]\.\d{3}/);
    expect(stdout).to.match(
      /normal devices: \d+ \([\d.]+ device-hours\): \d+ alerts = [\d.]+ per device-hour; \d+ of \d+ 60-s windows flagged = [\d.]+%/,
    );

    const report = JSON.parse(readFileSync(json, 'utf8')) as EvaluationReport;
    expect(report.scores.detectors.map((score) => score.behaviour)).to.deep.equal(DETECTOR_NAMES);
    for (const score of report.scores.detectors) {
      expect(score.episodes, score.behaviour).to.be.greaterThan(0);
      for (const field of ['precision', 'recall', 'f1'] as const)
        expect(score[field], `${score.behaviour} ${field}`).to.be.a('number');
      expect(score.detected).to.be.at.most(score.episodes);
    }
    expect(report.scores.normal.devices).to.equal(10);
    expect(report.scores.normal.flaggedShare).to.be.a('number');
    expect(report.config.warmupSeconds).to.equal(600);
  });

  it('eval: bad arguments exit 2 with the usage (a real process)', function () {
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '-T', 'analytics/src/eval/cli.ts', '--devices', 'many'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain('seed').and.to.contain('devices').and.to.contain('Usage:');
  });

  it('dataset: writes the same rows to JSONL and CSV, under the documented columns', function () {
    const out = join(directory, 'nested', 'windows');
    const argv = ['--out', out, '--seed', '3', '--devices', '20', '--minutes', '3', '--episode-fraction', '0.5'];
    const { code, stdout } = capture(datasetMain, argv);
    expect(code).to.equal(0);
    expect(stdout).to.contain(`${out}.jsonl`).and.to.contain(`${out}.csv`);
    const jsonl = readFileSync(`${out}.jsonl`, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const [headerLine, ...csvLines] = readFileSync(`${out}.csv`, 'utf8').trimEnd().split('\n');
    const header = csvCells(headerLine!);
    expect(header).to.deep.equal([...DATASET_COLUMN_NAMES]);
    expect(documentedColumns()).to.deep.equal(header);
    expect(csvLines).to.have.length(jsonl.length);
    expect(jsonl.length).to.equal(20 * 18);
    const mismatches: string[] = [];
    jsonl.forEach((row, index) => {
      if (Object.keys(row).join() !== header.join()) mismatches.push(`row ${index}: keys`);
      const cells = csvCells(csvLines[index]!);
      header.forEach((column, cell) => {
        const value = row[column];
        if (cells[cell] !== (value === null ? '' : String(value))) mismatches.push(`row ${index} ${column}`);
      });
      if (!(BEHAVIOURS as readonly unknown[]).includes(row.behaviour)) mismatches.push(`row ${index}: behaviour`);
      if (row.anomalous !== (row.behaviour !== 'normal')) mismatches.push(`row ${index}: anomalous`);
    });
    expect(mismatches).to.deep.equal([]);
    const anomalous = jsonl.filter((row) => row.anomalous);
    expect(anomalous.length).to.be.greaterThan(0);
    // Detector scores are in the rows: most abnormal windows carry their own detector's score above 0.5.
    const scored = anomalous.filter((row) => (row[`score_${row.behaviour as string}`] as number) >= 0.5);
    expect(scored.length / anomalous.length).to.be.greaterThan(0.5);
    expect(
      jsonl.filter((row) => !row.anomalous).every((row) => row.alerts === '' || typeof row.alerts === 'string'),
    ).to.equal(true);
  });
});
