/**
 * `npm run bench:blobs`: what joining the private IPFS network costs a lone node. Starts a fresh process per run
 * (default 7 of each, alternating) for an offline node (`npm start`'s) and a networked one (swarm key, loopback
 * listener, no peer), and prints the median time to load the blob store's modules, to open the store, and the RSS
 * and heap once open.
 *
 * @example
 * npm run bench:blobs            # 7 runs of each
 * npm run bench:blobs -- 15      # 15 runs of each
 */
import { spawnEntry } from '../lib/spawnEntry';
import { percentile } from '../lib/stats';

type Sample = { loadMs: number; openMs: number; rssMiB: number; heapMiB: number };

async function sample(mode: 'offline' | 'networked'): Promise<Sample> {
  const child = spawnEntry({ entry: 'bench/blobs/nodeCostProcess.ts', args: [mode], nodeOptions: ['--expose-gc'] });
  const result = await child.waitFor((message) => message as Sample, 120_000, `the ${mode} node`);
  await child.exited;
  return result;
}

async function main(runs: number): Promise<void> {
  const samples: Record<'offline' | 'networked', Sample[]> = { offline: [], networked: [] };
  for (let run = 0; run < runs; run++) {
    for (const mode of ['offline', 'networked'] as const) samples[mode].push(await sample(mode));
  }
  const median = (mode: 'offline' | 'networked', key: keyof Sample) =>
    percentile(
      samples[mode].map((s) => s[key]),
      50,
    );
  const rows = (['loadMs', 'openMs', 'rssMiB', 'heapMiB'] as const).map((key) => {
    const offline = median('offline', key);
    const networked = median('networked', key);
    return `| ${key.padEnd(8)} | ${offline.toFixed(1).padStart(8)} | ${networked.toFixed(1).padStart(9)} | ${(
      networked - offline
    )
      .toFixed(1)
      .padStart(6)} |`;
  });
  console.log(`Lone embedded IPFS node, median of ${runs} fresh processes each (Node ${process.version}):\n`);
  console.log('| figure   |  offline | networked |   cost |');
  console.log('| -------- | -------: | --------: | -----: |');
  for (const row of rows) console.log(row);
}

main(Number(process.argv[2] ?? 7)).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:blobs: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
