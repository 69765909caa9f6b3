/**
 * One measurement of a lone embedded IPFS node, in a fresh process (so module loading counts): `offline` (what
 * `npm start` runs) or `networked` (a swarm key, listening on loopback, no peer). Sends `{ loadMs, openMs, rssMiB,
 * heapMiB }` over IPC: loading the blob store's modules, opening the store (for `networked`, loading libp2p and
 * starting it), and the process's memory once open after 20 blobs of 100 KB were added and read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

async function main(mode: string): Promise<void> {
  const started = performance.now();
  const { createBlobStore, generateSwarmKey } = require('../../blobs/src') as typeof import('../../blobs/src');
  const loaded = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'blobs-cost-'));
  try {
    const network =
      mode === 'networked' ? { ipfsSwarmKey: generateSwarmKey(), ipfsListen: ['/ip4/127.0.0.1/tcp/0'] } : {};
    const store = await createBlobStore({ dataDir, ...network });
    const opened = performance.now();
    for (let i = 0; i < 20; i++) {
      const bytes = Buffer.alloc(100_000, i);
      await store.get(await store.add(bytes));
    }
    global.gc?.();
    const memory = process.memoryUsage();
    process.send!({
      loadMs: loaded - started,
      openMs: opened - loaded,
      rssMiB: memory.rss / 1_048_576,
      heapMiB: memory.heapUsed / 1_048_576,
    });
    await store.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? 'offline').then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
