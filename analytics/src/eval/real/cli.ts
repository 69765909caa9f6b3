/**
 * The evaluation on real traffic (issue 17): `npm run eval:real -- [options]`. Needs root (network namespaces),
 * Debian's tcpdump, dnsmasq, mosquitto, openssl, iproute2 and python3; says why and exits 3 where it cannot run.
 *
 * @example
 * npm run eval:real -- --warmup-seconds 300 --episodes 2 --json real.json --recording real.jsonl
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { labUnavailable } from '../../../../lab/src';
import { BaseError } from '../../../../twin-core/src/errors/BaseError';
import { formatIssues } from '../../../../twin-core/src/errors/parseOrThrow';
import { AnalyticsUsageError } from '../../errors';
import { ABNORMAL_BEHAVIOURS, runRealEvaluation, type AbnormalBehaviour, type RealEvaluationReport } from './runRealEvaluation';

const ROOT = join(__dirname, '..', '..', '..', '..');

export const REAL_EVAL_USAGE = `Usage: npm run eval:real -- [options]

  --warmup-seconds S    normal traffic first, learned as the baseline (default 300)
  --episodes N          episodes of each behaviour (default 2)
  --episode-seconds S   length of each episode (default 40)
  --gap-seconds S       normal traffic before each episode (default 50)
  --grace-seconds G     an alert opening up to G s after its episode's end still detects it (default 10)
  --behaviours a,b      behaviours produced (default all seven)
  --seed N              traffic generator seed (default 1)
  --json FILE           also write the report as JSON
  --recording FILE      write every signed message received, with its label, as JSONL (npm run dataset -- --real FILE)
`;

const argumentsSchema = z.object({
  warmupSeconds: z.coerce.number().int().min(10).default(300),
  episodes: z.coerce.number().int().positive().default(2),
  episodeSeconds: z.coerce.number().int().min(5).default(40),
  gapSeconds: z.coerce.number().int().min(5).default(50),
  graceSeconds: z.coerce.number().nonnegative().default(10),
  behaviours: z
    .string()
    .transform((text) => text.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(ABNORMAL_BEHAVIOURS as [AbnormalBehaviour, ...AbnormalBehaviour[]])).min(1))
    .optional(),
  seed: z.coerce.number().int().nonnegative().default(1),
  json: z.string().min(1).optional(),
  recording: z.string().min(1).optional(),
});

/** The label of a message at `ts`: the behaviour whose labelled window holds it, else `normal`. */
export function labelAt(report: Pick<RealEvaluationReport, 'windows'>, ts: number): string {
  return report.windows.find((window) => ts >= window.startMs && ts <= window.endMs)?.behaviour ?? 'normal';
}

/** The report as a table: per behaviour episodes, detected, FP, precision, recall, F1, median latency. */
export function formatRealReport(report: RealEvaluationReport): string {
  const number = (value: number | null, digits = 3) => (value === null ? '–' : value.toFixed(digits));
  const lines = [
    `Real traffic: device ${report.deviceId.slice(0, 18)}…, ${report.messages.telemetry} telemetry and ${report.messages.snapshots} snapshots (signed by ${report.signer}), ${report.messages.rejected} rejected`,
    `judged ${(report.judgedHours * 60).toFixed(1)} min after the warm-up`,
    '',
    'behaviour              episodes  detected  FP  precision  recall  F1     median latency s',
  ];
  for (const score of report.detectors) {
    lines.push(
      `${score.behaviour.padEnd(22)} ${String(score.episodes).padStart(8)}  ${String(score.detected).padStart(8)}  ${String(score.falsePositives).padStart(2)}  ${number(score.precision).padStart(9)}  ${number(score.recall).padStart(6)}  ${number(score.f1).padEnd(5)}  ${number(score.medianLatencySeconds, 1)}`,
    );
  }
  lines.push('', `false alerts (outside every labelled window): ${report.falseAlerts} over ${report.judgedHours.toFixed(3)} device-hours = ${report.falseAlertsPerDeviceHour.toFixed(2)} per device-hour`);
  lines.push(`capture metrics reported (share of telemetry): ${Object.entries(report.captureCoverage).map(([name, share]) => `${name} ${(share * 100).toFixed(0)} %`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the command; resolves the exit code (0 done or --help, 2 bad arguments, 3 cannot run here).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2))
 */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(REAL_EVAL_USAGE);
    return 0;
  }
  try {
    let values: Record<string, string | undefined>;
    try {
      values = parseArgs({
        args: argv,
        options: Object.fromEntries(
          ['warmup-seconds', 'episodes', 'episode-seconds', 'gap-seconds', 'grace-seconds', 'behaviours', 'seed', 'json', 'recording'].map(
            (name) => [name, { type: 'string' as const }],
          ),
        ),
      }).values as Record<string, string | undefined>;
    } catch (error) {
      throw new AnalyticsUsageError((error as Error).message, { metaMessages: [REAL_EVAL_USAGE] });
    }
    const parsed = argumentsSchema.safeParse(
      Object.fromEntries(Object.entries(values).map(([key, value]) => [key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value])),
    );
    if (!parsed.success) throw new AnalyticsUsageError('Invalid arguments.', { metaMessages: [...formatIssues(parsed.error.issues, 'arguments'), '', REAL_EVAL_USAGE] });
    const args = parsed.data;
    const reason = labUnavailable();
    if (reason) {
      process.stderr.write(`eval:real cannot run here: ${reason}\n`);
      return 3;
    }
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensureBuilt.js'), 'agent'], { stdio: 'inherit' });
    const report = await runRealEvaluation({
      warmupSeconds: args.warmupSeconds,
      behaviours: args.behaviours ?? ABNORMAL_BEHAVIOURS,
      episodes: args.episodes,
      episodeSeconds: args.episodeSeconds,
      gapSeconds: args.gapSeconds,
      graceSeconds: args.graceSeconds,
      agentCli: join(ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js'),
      node: process.execPath,
      trafficScript: join(ROOT, 'lab', 'src', 'traffic.py'),
      seed: args.seed,
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
    process.stdout.write(formatRealReport(report));
    const { received, ...summary } = report;
    if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(summary, null, 2)}\n`);
    if (args.recording !== undefined) {
      writeFileSync(
        args.recording,
        received.map((entry) => JSON.stringify({ label: labelAt(report, entry.ts), message: entry.message })).join('\n') + '\n',
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof BaseError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
