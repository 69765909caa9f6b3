import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { AnalyticsUsageError } from '../errors';

/** Usage of the dataset command. */
export const DATASET_USAGE = `Usage: npm run dataset -- --out FILE [options]

  --out FILE               writes FILE.jsonl (or FILE when it ends in .jsonl) and the same base name .csv
  --seed S                 simulator seed (default 1)
  --devices N              devices of the mixed scenario (default 100; 10 % of them have episodes)
  --normal-devices N       extra normal-only devices (default 0)
  --minutes M              minutes of windows after the commissioning (default 30)
  --commission-minutes M   minutes of normal behaviour first, learned as the baseline, not written (default 10)
  --episode-fraction F     share of mixed devices with episodes (default 0.1, the simulator's)
  --window-seconds W       window length (default 10)
  --config FILE            analyzer configuration (JSON, see analyzerConfigSchema)
  --real FILE              real traffic instead: a recording of npm run eval:real -- --recording FILE (labels from
                           its windows); --commission-minutes is then the run's warm-up (default 5)
`;

const positive = z.coerce.number().positive().finite();

/** The dataset command's arguments. */
export const datasetArgumentsSchema = z.object({
  out: z.string().min(1),
  seed: z.string().min(1).default('1'),
  devices: z.coerce.number().int().positive().default(100),
  normalDevices: z.coerce.number().int().nonnegative().default(0),
  minutes: positive.default(30),
  commissionMinutes: z.coerce.number().nonnegative().default(10),
  episodeFraction: z.coerce.number().min(0).max(1).optional(),
  windowSeconds: positive.default(10),
  config: z.string().min(1).optional(),
  real: z.string().min(1).optional(),
});
export type DatasetArguments = z.output<typeof datasetArgumentsSchema>;

/**
 * Parses the dataset command's argv.
 *
 * @example
 * parseDatasetArguments(['--out', 'windows', '--seed', '7']) // { out: 'windows', seed: '7', devices: 100, … }
 */
export function parseDatasetArguments(argv: string[]): DatasetArguments {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        [
          'out',
          'seed',
          'devices',
          'normal-devices',
          'minutes',
          'commission-minutes',
          'episode-fraction',
          'window-seconds',
          'config',
          'real',
        ].map((name) => [name, { type: 'string' as const }]),
      ),
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new AnalyticsUsageError((error as Error).message, { metaMessages: [DATASET_USAGE] });
  }
  const camel = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      value,
    ]),
  );
  const result = datasetArgumentsSchema.safeParse(camel);
  if (result.success) return result.data;
  throw new AnalyticsUsageError('Invalid arguments.', {
    metaMessages: [...formatIssues(result.error.issues, 'arguments'), '', DATASET_USAGE],
  });
}
