/**
 * Gas benchmark (issue 7): gas per user action of the registry and per anchored snapshot, batched and naive, on
 * Hardhat's in-process network. Prints tables and writes the figures as JSON.
 *
 * @example
 * npx ts-node -T bench/gas/cli.ts                          # full run, JSON to bench/results/gas.json
 * npx ts-node -T bench/gas/cli.ts --quick --out /tmp/gas.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatGasTable } from './formatGasTable';
import { runGasBench } from './runGasBench';

const USAGE = 'usage: npm run bench:gas -- [--quick] [--out PATH]   (default --out bench/results/gas.json)';

/** The command line, parsed. */
export type GasBenchArguments = { quick: boolean; out: string };

/**
 * Reads `--quick` and `--out PATH` (default `bench/results/gas.json`).
 *
 * @example
 * parseGasBenchArguments(['--out', 'gas.json']) // { quick: false, out: 'gas.json' }
 */
export function parseGasBenchArguments(argv: string[]): GasBenchArguments {
  const parsed: GasBenchArguments = { quick: false, out: 'bench/results/gas.json' };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    if (flag === '--quick') parsed.quick = true;
    else if (flag === '--out') {
      const value = argv[++index];
      if (value === undefined || value.startsWith('--')) throw new Error(`--out needs a path\n${USAGE}`);
      parsed.out = value;
    } else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  return parsed;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return void console.log(USAGE);
  const args = parseGasBenchArguments(process.argv.slice(2));
  const result = await runGasBench({ quick: args.quick });
  console.log(formatGasTable(result));
  const out = resolve(args.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), quick: args.quick, ...result }, null, 2)}\n`,
  );
  console.log(`\nwrote ${out}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
