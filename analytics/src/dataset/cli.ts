/**
 * Labelled windows for outside models (issue 6): the simulator's fleet through the analyzer, one row per device and
 * window with features, ground truth and detector scores, as JSONL and CSV (schema: analytics/README.md).
 *
 * @example
 * npx ts-node -T analytics/src/dataset/cli.ts --out windows --seed 7 --devices 100 --minutes 30 --window-seconds 10
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { buildDataset } from './buildDataset';
import { buildRealDataset } from './buildRealDataset';
import { DATASET_USAGE, parseDatasetArguments } from './datasetArguments';

/**
 * Runs the command; returns the exit code (0 also for `--help`; 2: bad arguments or configuration).
 *
 * @example
 * process.exitCode = main(process.argv.slice(2))
 */
export function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(DATASET_USAGE);
    return 0;
  }
  try {
    const args = parseDatasetArguments(argv);
    const analyzer = args.config === undefined ? {} : (JSON.parse(readFileSync(args.config, 'utf8')) as object);
    const result =
      args.real === undefined
        ? buildDataset({ ...args, analyzer })
        : buildRealDataset({
            recording: args.real,
            out: args.out,
            warmupMinutes: argv.includes('--commission-minutes') ? args.commissionMinutes : 5,
            windowSeconds: args.windowSeconds,
            analyzer,
          });
    process.stdout.write(
      `${result.rows} windows of ${args.windowSeconds} s from ${result.messages.toLocaleString('en-US')} messages: ` +
        `${result.paths.jsonl}, ${result.paths.csv}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof BaseError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
