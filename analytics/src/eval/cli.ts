/**
 * Evaluation of the analyzer against the simulator's ground truth (issue 6), in simulated time.
 *
 * @example
 * npx ts-node -T analytics/src/eval/cli.ts --seed 7
 * npx ts-node -T analytics/src/eval/cli.ts --seed 7 --devices 100 --minutes 20 --json eval.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { EVAL_USAGE, parseEvalArguments } from './evalArguments';
import { formatReport } from './formatReport';
import { runEvaluation } from './runEvaluation';

/**
 * Runs the command; returns the exit code (0 also for `--help`; 2: bad arguments or configuration).
 *
 * @example
 * process.exitCode = main(process.argv.slice(2))
 */
export function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(EVAL_USAGE);
    return 0;
  }
  try {
    const args = parseEvalArguments(argv);
    const analyzer = args.config === undefined ? {} : (JSON.parse(readFileSync(args.config, 'utf8')) as object);
    const report = runEvaluation({
      seed: args.seed,
      devices: args.devices,
      normalDevices: args.normalDevices,
      minutes: args.minutes,
      commissionMinutes: args.commissionMinutes,
      episodes: args.episodeFraction === undefined ? undefined : { deviceFraction: args.episodeFraction },
      analyzer,
      graceSeconds: args.graceSeconds,
      tailSeconds: 30,
      windowSeconds: args.windowSeconds,
    });
    process.stdout.write(formatReport(report));
    if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
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
