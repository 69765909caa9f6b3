/**
 * `npm run bench`: issue 7's benchmarks in one reproducible command. Prints a table of every figure beside its target
 * (met / missed) and writes the figures as JSON to `bench/results/<ISO date>.json` and `bench/results/latest.json`.
 * Misses never change the exit code: 0 after a run, 2 on bad arguments, 1 when the harness itself breaks.
 *
 * @example
 * npm run bench                          # the full run: gas, ingest (1,000 and 10,000 devices), API, agent
 * npm run bench -- --quick               # small sizes, for CI (well under 2 minutes)
 * npm run bench -- --only ingest,api --profile
 * npm run bench -- --only gas --soak --soak-minutes 10
 */
import { assertNodeVersion } from '../twin-core/src/runtime/assertNodeVersion';
import { BENCH_USAGE, parseBenchArguments, type BenchOptions } from './options';
import { formatTable } from './report/formatTable';
import { writeResults } from './report/writeResults';
import { runBench } from './runBench';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = parseBenchArguments(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const started = Date.now();
  const log = (line: string) =>
    process.stderr.write(`[bench ${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s] ${line}\n`);
  log(`${options.quick ? 'quick' : 'full'} run: ${options.sections.join(', ')}`);
  const results = await runBench(options, log);
  const { machine } = results;
  console.log(
    `\nBenchmarks (${results.quick ? 'quick' : 'full'} run) on ${machine.cpuModel}, ${machine.cores} cores, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverage.join(' ')} at start, ` +
      `${results.loadAverageAtEnd} at end; ${results.durationSeconds} s\n`,
  );
  console.log(formatTable(results.table));
  const { dated, latest } = writeResults(results, options.outDir);
  console.log(`\nwrote ${dated}\nwrote ${latest}`);
  return 0;
}

assertNodeVersion(22, 'The benchmark');
// Interrupted: exit through process.exit, so that the chain and Mosquitto are stopped too (the other children
// notice their IPC channel close and stop themselves).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
