import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { AnalyticsUsageError } from '../errors';

/** Usage of the evaluation command. */
export const EVAL_USAGE = `Usage: npm run eval -- --seed S [options]

  --seed S                 simulator seed (required)
  --devices N              devices of the mixed scenario (default 300; 10 % of them have episodes)
  --normal-devices N       normal-only devices, the false-positive population (default 100)
  --minutes M              judged minutes after the commissioning (default 60)
  --commission-minutes M   minutes of normal behaviour first, learned as the baseline (default 10, the warm-up)
  --episode-fraction F     share of mixed devices with episodes (default 0.1, the simulator's)
  --window-seconds W       window length of the normal-window false-positive share (default 60)
  --grace-seconds G        an alert opening up to G s after its episode's end still detects it (default 10)
  --config FILE            analyzer configuration (JSON, see analyzerConfigSchema)
  --json FILE              also write the full report as JSON
`;

const positive = z.coerce.number().positive().finite();
const count = z.coerce.number().int().positive();

/** The evaluation command's arguments. */
export const evalArgumentsSchema = z.object({
  seed: z.string().min(1),
  devices: count.default(300),
  normalDevices: z.coerce.number().int().nonnegative().default(100),
  minutes: positive.default(60),
  commissionMinutes: z.coerce.number().nonnegative().default(10),
  episodeFraction: z.coerce.number().min(0).max(1).optional(),
  windowSeconds: positive.default(60),
  graceSeconds: z.coerce.number().nonnegative().default(10),
  config: z.string().min(1).optional(),
  json: z.string().min(1).optional(),
});
export type EvalArguments = z.output<typeof evalArgumentsSchema>;

/**
 * Parses the evaluation command's argv.
 *
 * @example
 * parseEvalArguments(['--seed', '7', '--devices', '100']) // { seed: '7', devices: 100, normalDevices: 100, … }
 */
export function parseEvalArguments(argv: string[]): EvalArguments {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        [
          'seed',
          'devices',
          'normal-devices',
          'minutes',
          'commission-minutes',
          'episode-fraction',
          'window-seconds',
          'grace-seconds',
          'config',
          'json',
        ].map((name) => [name, { type: 'string' as const }]),
      ),
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new AnalyticsUsageError((error as Error).message, { metaMessages: [EVAL_USAGE] });
  }
  const camel = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      value,
    ]),
  );
  const result = evalArgumentsSchema.safeParse(camel);
  if (result.success) return result.data;
  throw new AnalyticsUsageError('Invalid arguments.', {
    metaMessages: [...formatIssues(result.error.issues, 'arguments'), '', EVAL_USAGE],
  });
}
