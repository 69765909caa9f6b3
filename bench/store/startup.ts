/**
 * `npm run bench:store`: what the store's start-up costs on this machine: the embedded server's initdb, start and
 * restart, migrating an empty database to the current schema, and creating a test file's database as a copy of a
 * migrated template (what test/helpers/store.ts does). Median of `--rounds` (default 5) where repeated;
 * `--no-fsync` runs the server as the tests do (`durable: false`).
 *
 * @example
 * npm run bench:store -- --rounds 10
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore, startEmbeddedServer } from '../../store/src';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  assertNodeVersion(22, 'The store start-up benchmark');
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, 'no-fsync': { type: 'boolean', default: false } },
  });
  const rounds = Number(values.rounds);
  const durable = !values['no-fsync'];
  const base = mkdtempSync(join(tmpdir(), 'store-bench-'));
  chmodSync(base, 0o711);
  try {
    const dataDir = join(base, 'pg');
    let server = await startEmbeddedServer({ dataDir, durable });
    const first = server.timings;
    await server.stop();
    const restarts: number[] = [];
    for (let round = 0; round < rounds; round++) {
      server = await startEmbeddedServer({ dataDir, durable });
      restarts.push(server.timings.startMs);
      if (round < rounds - 1) await server.stop();
    }
    const migrations: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await admin(server.url, `CREATE DATABASE migrate_${round}`);
      const started = performance.now();
      await (await openStore({ databaseUrl: server.urlFor(`migrate_${round}`), poolSize: 1 })).close();
      migrations.push(performance.now() - started);
    }
    const timed = async (sql: (round: number) => string) => {
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const started = performance.now();
        await admin(server.url, sql(round));
        times.push(performance.now() - started);
      }
      return median(times);
    };
    const plain = await timed((round) => `CREATE DATABASE plain_${round}`);
    const walLog = await timed((round) => `CREATE DATABASE copy_${round} TEMPLATE migrate_0`);
    const fileCopy = await timed((round) => `CREATE DATABASE file_${round} TEMPLATE migrate_0 STRATEGY FILE_COPY`);
    await server.stop();
    console.log(`embedded PostgreSQL (${rounds} rounds, median; fsync ${durable ? 'on' : 'off'}):`);
    console.log(`  initdb (first start)            ${ms(first.initMs)}`);
    console.log(`  start after initdb              ${ms(first.startMs)}`);
    console.log(`  restart of an existing cluster  ${ms(median(restarts))}`);
    console.log(`  migrate an empty database       ${ms(median(migrations))} (open, migration 1, close)`);
    console.log(`  CREATE DATABASE (empty)         ${ms(plain)}`);
    console.log(`  CREATE DATABASE … TEMPLATE      ${ms(walLog)} (a copy of a migrated database, WAL_LOG strategy)`);
    console.log(`  … STRATEGY FILE_COPY            ${ms(fileCopy)}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
