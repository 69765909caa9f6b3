import type { BrokerKind } from './ingest/startBroker';

/** The sections of `npm run bench`. */
export const BENCH_SECTIONS = ['gas', 'ingest', 'api', 'agent', 'soak'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** Sizes of one mode (full or `--quick`). */
export type BenchSizes = {
  /** Device counts of the ingest runs; the API uses the largest. */
  devices: number[];
  /** Messages per ingest run (totals, whatever the device count). */
  telemetry: number;
  snapshots: number;
  paced: number;
  /** Rate of the paced snapshot phase: issue 7's target. */
  pacedRatePerSecond: number;
  /** autocannon: connections, and seconds of measured load per endpoint (after a 200-request warm-up). */
  apiConnections: number;
  apiSeconds: number;
  /** The agent's own benchmark: snapshots and telemetry readings measured. */
  agentSnapshots: number;
  agentTelemetry: number;
};

/** The full run (for people: many minutes) and the quick one (CI: well under 2 minutes). */
export const BENCH_SIZES: Record<'full' | 'quick', BenchSizes> = {
  full: {
    devices: [1_000, 10_000],
    // Long enough that the pipeline's fixed latency (batch age, two blocks) is a small part of each phase.
    telemetry: 50_000,
    snapshots: 10_000,
    paced: 1_500,
    pacedRatePerSecond: 500,
    apiConnections: 10,
    apiSeconds: 10,
    agentSnapshots: 20,
    agentTelemetry: 100,
  },
  quick: {
    devices: [100],
    telemetry: 1_000,
    snapshots: 300,
    paced: 200,
    pacedRatePerSecond: 500,
    apiConnections: 10,
    apiSeconds: 2,
    agentSnapshots: 5,
    agentTelemetry: 20,
  },
};

/** The soak's steady load: about half of what one oracle judged per second on the reference machine. */
export const SOAK_LOAD = { devices: 1_000, telemetryPerSecondPerDevice: 0.2, snapshotIntervalSeconds: 60 } as const;

/** `npm run bench` options, parsed. */
export type BenchOptions = {
  quick: boolean;
  sections: BenchSection[];
  soakMinutes: number;
  brokers: BrokerKind[];
  sizes: BenchSizes;
  outDir: string;
  /** Record a V8 CPU profile of the oracle in each ingest run (and keep the work directory). */
  profile: boolean;
  keepWork: boolean;
  /** Runs of the API's twin endpoint, each on a fresh API process (`--api-runs`, default 1). */
  apiRuns: number;
  /** Another checkout whose API is measured alternately with this one's, on the same store (`--api-compare`). */
  apiCompare: string | undefined;
};

export const BENCH_USAGE = `Usage: npm run bench -- [options]

  --quick              small sizes (100 devices, seconds of load, 2 s per API endpoint): for CI, well under 2 minutes
  --only LIST          sections to run, comma-separated: gas,ingest,api,agent (default all four)
  --soak               also run the oracle soak (steady load, RSS sampled every 10 s)
  --soak-minutes N     soak length (default 10; 1 with --quick)
  --devices LIST       ingest device counts (default 1000,10000; 100 with --quick)
  --api-seconds N      seconds of measured load per API endpoint (default 10; 2 with --quick)
  --api-runs N         measure the twin view N times, a fresh API process each (default 1; the median is reported)
  --api-compare DIR    also measure the API of another checkout DIR (e.g. the commit before a change, with its
                       node_modules and builds), alternating with this one on the same store, N runs each
  --telemetry N        telemetry messages per ingest run (default 50000; 1000 with --quick)
  --snapshots N        snapshots per ingest run, at full speed (default 10000; 300 with --quick)
  --brokers LIST       aedes,mosquitto (default both; Mosquitto is skipped when not installed)
  --profile            CPU-profile the oracle in each ingest run (node --cpu-prof); keeps the work directory
  --keep-work          keep the work directory (chain data, messages, oracle data directories)
  --out-dir DIR        where the results go (default bench/results)

  BENCH_ORACLE_BUNDLE=oracle/dist-old/cli.js  runs that build of the oracle's CLI instead of oracle/dist (a copy of
                       oracle/dist in a sibling folder, e.g. of another commit), to compare two builds
`;

function list<item extends string>(flag: string, value: string | undefined, allowed: readonly item[]): item[] {
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value\n${BENCH_USAGE}`);
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!allowed.includes(item as item)) throw new Error(`${flag}: unknown "${item}" (one of ${allowed.join(', ')})`);
  }
  return items as item[];
}

function positive(flag: string, value: string | undefined): number {
  const number = Number(value);
  if (!(Number.isInteger(number) && number > 0)) throw new Error(`${flag} must be a positive integer, got ${value}`);
  return number;
}

/**
 * Parses `npm run bench` arguments; throws with the usage on a bad one.
 *
 * @example
 * parseBenchArguments(['--quick', '--only', 'gas,api']).sections // ['gas', 'api']
 */
export function parseBenchArguments(argv: string[]): BenchOptions {
  let quick = false;
  let sections: BenchSection[] = ['gas', 'ingest', 'api', 'agent'];
  let soak = false;
  let soakMinutes: number | undefined;
  let brokers: BrokerKind[] = ['aedes', 'mosquitto'];
  let devices: number[] | undefined;
  let apiSeconds: number | undefined;
  let telemetry: number | undefined;
  let snapshots: number | undefined;
  let outDir = 'bench/results';
  let profile = false;
  let keepWork = false;
  let apiRuns = 1;
  let apiCompare: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--quick') quick = true;
    else if (flag === '--only') sections = list(flag, argv[++i], BENCH_SECTIONS);
    else if (flag === '--soak') soak = true;
    else if (flag === '--soak-minutes') soakMinutes = positive(flag, argv[++i]);
    else if (flag === '--api-seconds') apiSeconds = positive(flag, argv[++i]);
    else if (flag === '--api-runs') apiRuns = positive(flag, argv[++i]);
    else if (flag === '--api-compare') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--'))
        throw new Error(`--api-compare needs a directory\n${BENCH_USAGE}`);
      apiCompare = value;
    } else if (flag === '--telemetry') telemetry = positive(flag, argv[++i]);
    else if (flag === '--snapshots') snapshots = positive(flag, argv[++i]);
    else if (flag === '--brokers') brokers = list(flag, argv[++i], ['aedes', 'mosquitto'] as const);
    else if (flag === '--devices') devices = (argv[++i] ?? '').split(',').map((value) => positive(flag, value));
    else if (flag === '--out-dir') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`--out-dir needs a directory\n${BENCH_USAGE}`);
      outDir = value;
    } else if (flag === '--profile') profile = true;
    else if (flag === '--keep-work') keepWork = true;
    else if (flag === '--help' || flag === '-h') throw new Error(BENCH_USAGE);
    else throw new Error(`unknown option ${flag}\n${BENCH_USAGE}`);
  }
  if (soak && !sections.includes('soak')) sections = [...sections, 'soak'];
  const sizes = {
    ...BENCH_SIZES[quick ? 'quick' : 'full'],
    ...(devices ? { devices } : {}),
    ...(apiSeconds ? { apiSeconds } : {}),
    ...(telemetry ? { telemetry } : {}),
    ...(snapshots ? { snapshots } : {}),
  };
  return {
    quick,
    sections,
    soakMinutes: soakMinutes ?? (quick ? 1 : 10),
    brokers,
    sizes,
    outDir,
    profile,
    keepWork: keepWork || profile,
    apiRuns,
    apiCompare,
  };
}
