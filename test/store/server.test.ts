import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import {
  EMBEDDED_DATABASE,
  STORE_SCHEMA_VERSION,
  StoreError,
  grantServerSearch,
  loadStoreConfig,
  postmasterPid,
  startEmbeddedServer,
  startStore,
  type EmbeddedServer,
} from '../../store/src';
import { rejectionOf } from '../helpers/thrownBy';

const ROOT = join(__dirname, '..', '..');

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number): Promise<void> {
  while (alive(pid)) await new Promise((done) => setTimeout(done, 20));
}

describe('store: the embedded PostgreSQL server', function () {
  this.timeout(120_000);
  let base: string;
  let dataDir: string;
  let server: EmbeddedServer | undefined;
  before(function () {
    base = mkdtempSync(join(tmpdir(), 'store-server-'));
    chmodSync(base, 0o711);
    dataDir = join(base, 'pg');
  });
  afterEach(async function () {
    await server?.stop();
    server = undefined;
  });
  after(function () {
    rmSync(base, { recursive: true, force: true });
  });

  it('initialises an empty directory, and on the next start reuses it with its data', async function () {
    server = await startEmbeddedServer({ dataDir });
    expect(server.initialised).to.equal(true);
    expect(server.timings.initMs).to.be.greaterThan(0);
    process.stdout.write(
      `      (initdb ${server.timings.initMs.toFixed(0)} ms, start ${server.timings.startMs.toFixed(0)} ms)\n`,
    );
    await query(server.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    expect(await query(server.url, `SELECT current_setting('listen_addresses') AS a`)).to.deep.equal([
      { a: '127.0.0.1' },
    ]);
    await server.stop();
    await server.stop(); // again: nothing
    server = await startEmbeddedServer({ dataDir });
    expect(server.initialised).to.equal(false);
    expect(server.timings.initMs).to.equal(0);
    process.stdout.write(`      (restart ${server.timings.startMs.toFixed(0)} ms)\n`);
    expect(await query(server.url, 'SELECT n FROM kept')).to.deep.equal([{ n: 42 }]);
  });

  it('starts after the server was killed (SIGKILL), its postmaster.pid left behind', async function () {
    server = await startEmbeddedServer({ dataDir });
    const pid = postmasterPid(dataDir)!;
    expect(pid).to.be.a('number');
    process.kill(pid, 'SIGKILL');
    await waitGone(pid);
    await server.stop(); // the handle of a dead server: resolves at once
    expect(postmasterPid(dataDir)).to.equal(pid); // the stale file is still there
    server = await startEmbeddedServer({ dataDir });
    expect(await query(server.url, 'SELECT n FROM kept')).to.deep.equal([{ n: 42 }]);
  });

  it('starts when postmaster.pid names a PID that now belongs to another process', async function () {
    // PostgreSQL alone refuses this ("lock file already exists") while the PID is alive.
    writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    server = await startEmbeddedServer({ dataDir });
    expect(postmasterPid(dataDir)).to.not.equal(process.pid);
    expect(await query(server.url, 'SELECT n FROM kept')).to.deep.equal([{ n: 42 }]);
  });

  it('stops a server of the directory left running by a killed parent, then starts', async function () {
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-e',
        `require('./store/src').startEmbeddedServer({ dataDir: ${JSON.stringify(dataDir)} })` +
          `.then(() => console.log('ready'), (e) => { console.error(e); process.exit(1) })`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const leftover = postmasterPid(dataDir)!;
    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
    expect(alive(leftover)).to.equal(true); // the server outlived its parent
    server = await startEmbeddedServer({ dataDir });
    expect(alive(leftover)).to.equal(false);
    expect(postmasterPid(dataDir)).to.not.equal(leftover);
    expect(await query(server.url, 'SELECT n FROM kept')).to.deep.equal([{ n: 42 }]);
  });

  it('is what startStore runs without DATABASE_URL: database twin_index migrated, the server stopped by close()', async function () {
    const store = await startStore(loadStoreConfig({ environment: { STORE_EMBEDDED_DATA_DIR: dataDir } }));
    const pid = postmasterPid(dataDir)!;
    try {
      expect(store.server!.dataDir).to.equal(dataDir);
      expect(store.schemaVersion).to.equal(STORE_SCHEMA_VERSION);
      const { rows } = await store.query<{ db: string }>('SELECT current_database() AS db');
      expect(rows).to.deep.equal([{ db: EMBEDDED_DATABASE }]);
    } finally {
      await store.close();
    }
    await waitGone(pid);
    expect(postmasterPid(dataDir)).to.equal(undefined);
  });

  it('as root, reaches a data directory under parents only root may pass (0700): search permission added to them, and said', async function () {
    if (process.getuid?.() !== 0) this.skip(); // the server runs as user postgres only as root
    const closed = join(base, 'closed');
    mkdirSync(join(closed, 'inner'), { recursive: true, mode: 0o700 });
    chmodSync(closed, 0o700);
    chmodSync(join(closed, 'inner'), 0o750);
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'TWIN_STORE_SEARCH_PERMISSION') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      server = await startEmbeddedServer({ dataDir: join(closed, 'inner', 'pg') });
      expect(await query(server.url, 'SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(statSync(closed).mode & 0o777).to.equal(0o701);
    expect(statSync(join(closed, 'inner')).mode & 0o777).to.equal(0o751);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include(closed).and.include(join(closed, 'inner'));
    expect(grantServerSearch(join(closed, 'inner', 'pg'))).to.deep.equal([]); // nothing left to add
    expect(grantServerSearch('/nonexistent/a/b', false)).to.deep.equal([]);
  });

  it('refuses a non-empty directory it did not create', async function () {
    const foreign = join(base, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'PG_VERSION'), '18\n');
    const error = (await rejectionOf(startEmbeddedServer({ dataDir: foreign }))) as StoreError;
    expect(error).to.be.instanceOf(StoreError);
    expect(error.details).to.contain(foreign).and.contain('store-password');
  });

  it('leaves no server process behind once stopped', function () {
    const { stdout } = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(stdout.split('\n').filter((line) => line.includes(`-D ${dataDir}`))).to.deep.equal([]);
  });
});
