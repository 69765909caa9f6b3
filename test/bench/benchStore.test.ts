import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claimUnbatchedSnapshots,
  getTwin,
  insertSnapshot,
  markBatchConfirmed,
  markBatchSubmitted,
  recordTelemetryBatch,
  upsertTwin,
  type Store,
} from '../../store/src';
import { countCompleted, readIngestIndex } from '../../bench/ingest/readIngestIndex';
import { createBenchDatabases, type BenchDatabases } from '../../bench/lib/benchDatabases';
import { sampleProcess, sampleProcessTree } from '../../bench/lib/processSample';
import { adminQuery, testServer } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hash = (n: number) => `0x${(n + 0xabc).toString(16).padStart(64, '0')}`;

function twin(n: number) {
  return {
    deviceId: device(n),
    owner: address(1),
    manufacturer: address(2),
    deviceSigner: address(100 + n),
    state: 'active' as const,
    forSale: false,
    price: 0n,
    staticHash: hash(n),
    staticCid: `bafystatic${n}`,
    updateCount: 0,
    reviewRequested: false,
    mintedBlock: 10 + n,
    updatedBlock: 10 + n,
  };
}

async function databaseNames(adminUrl: string): Promise<string[]> {
  const { rows } = await adminQuery(adminUrl, 'SELECT datname FROM pg_database');
  return rows.map((row) => (row as { datname: string }).datname);
}

// The benchmark's store (bench/lib/benchDatabases.ts, bench/ingest/readIngestIndex.ts) on the tests' server, used
// as the external server of DATABASE_URL: the mirror template copied per run, and the completions the runs read.
describe('bench: the PostgreSQL store of the runs', function () {
  this.timeout(120_000);
  let workDir: string;
  let adminUrl: string;
  let databases: BenchDatabases;
  const opened: Store[] = [];

  before(async function () {
    adminUrl = (await testServer()).adminUrl;
    workDir = mkdtempSync(join(tmpdir(), 'bench-store-test-'));
    databases = createBenchDatabases({ workDir, databaseUrl: adminUrl });
  });

  after(async function () {
    await Promise.all(opened.splice(0).map((store) => store.close().catch(() => undefined)));
    await databases?.stop({ keep: false });
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('copies the mirror template per run: each copy holds its twins and then goes its own way', async function () {
    const template = await databases.create('mirror');
    const store = await template.open();
    for (const n of [1, 2, 3]) await upsertTwin(store, twin(n));
    await store.close();

    const run = await databases.create('oracle_aedes_100', { template });
    expect(run.name).to.match(/^twin_bench_[a-z0-9]+_oracle_aedes_100$/);
    const copy = await run.open({ schema: 'check' });
    opened.push(copy);
    expect((await getTwin(copy, device(2)))?.staticCid).to.equal('bafystatic2');
    await upsertTwin(copy, twin(4));
    const source = await template.open({ schema: 'check' });
    expect(await getTwin(source, device(4)), 'the template is untouched by the run').to.equal(undefined);
    await source.close();
    expect(await databaseNames(adminUrl)).to.include.members([template.name, run.name]);
  });

  it('waits for the template to be free: a copy made while a session is open on it succeeds once it closes', async function () {
    const template = await databases.create('busy');
    const holder = await template.open();
    await holder.query('SELECT 1');
    let settled = false;
    const copying = databases.create('busy_copy', { template }).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(settled, 'the copy waits while the template has a session').to.equal(false);
    await holder.close();
    const copy = await copying;
    const store = await copy.open({ schema: 'check' });
    opened.push(store);
    expect((await store.query<{ n: number }>('SELECT count(*)::int AS n FROM twins')).rows[0]!.n).to.equal(0);
  });

  it('refuses a bad name, a name used twice and a template of another run', async function () {
    expect((await rejectionOf(databases.create('Oracle-1'))).message).to.match(/lower-case letters/);
    expect((await rejectionOf(databases.create('mirror'))).message).to.match(/exists already/);
    const other = { name: 'postgres', url: adminUrl, open: () => Promise.reject(new Error('no')) };
    expect((await rejectionOf(databases.create('x', { template: other }))).message).to.match(/not one of this run/);
  });

  it('reads what a run completed: telemetry recorded, batches confirmed, each anchored snapshot', async function () {
    const run = await databases.create('completions');
    const store = await run.open();
    opened.push(store);
    expect(await countCompleted(store)).to.deep.equal({ telemetry: 0, anchored: 0 });
    const recordedAt = Date.UTC(2026, 5, 1, 12, 0, 0, 250);
    await recordTelemetryBatch(store, {
      cid: 'bafytelemetry1',
      messages: [1, 2, 3].map((seq) => ({
        deviceId: device(1),
        seq,
        ts: recordedAt - 1_000,
        body: { cpuPercent: seq },
      })),
      now: recordedAt,
    });
    for (const seq of [1, 2]) {
      await insertSnapshot(store, {
        deviceId: device(7),
        seq,
        collectedAt: recordedAt,
        hash: hash(seq),
        cid: `bafy${seq}`,
      });
    }
    await insertSnapshot(store, { deviceId: device(8), seq: 1, collectedAt: recordedAt, hash: hash(9), cid: 'bafy9' });
    const claimed = await claimUnbatchedSnapshots(store, { limit: 2 });
    expect(claimed?.snapshots).to.have.length(2);
    const confirmedAt = recordedAt + 9_000;
    await markBatchSubmitted(store, claimed!.batch.id, {
      root: hash(1_000),
      manifestCid: 'bafymanifest',
      leafCount: 2,
      txHash: hash(2_000),
    });
    expect((await countCompleted(store)).anchored, 'submitted is not anchored yet').to.equal(0);
    await markBatchConfirmed(store, claimed!.batch.id, { txHash: hash(2_000), block: 42, confirmedAt });

    expect(await countCompleted(store)).to.deep.equal({ telemetry: 3, anchored: 2 });
    const reading = await readIngestIndex(store, { snapshots: true });
    expect(reading.telemetry).to.deep.equal([{ at: recordedAt, count: 3 }]);
    expect(reading.batches).to.deep.equal([{ at: confirmedAt, count: 2 }]);
    expect(reading.snapshots).to.equal(3);
    const anchored = [...reading.anchoredAt.entries()].sort();
    const expected = claimed!.snapshots.map((s) => [`${s.deviceId}:${s.seq}`, confirmedAt] as [string, number]).sort();
    expect(anchored).to.deep.equal(expected);
    expect((await readIngestIndex(store, { snapshots: false })).anchoredAt.size).to.equal(0);
  });

  it('drops its databases from an external server at the end (kept with --keep-work)', async function () {
    const own = createBenchDatabases({ workDir, databaseUrl: adminUrl });
    const kept = await own.create('kept');
    await own.stop({ keep: true });
    expect(await databaseNames(adminUrl)).to.include(kept.name);
    const again = createBenchDatabases({ workDir, databaseUrl: adminUrl });
    const dropped = await again.create('dropped');
    expect(await again.info()).to.deep.include({ kind: 'external', durable: undefined });
    await again.stop({ keep: false });
    expect(await databaseNames(adminUrl)).to.not.include(dropped.name);
    await adminQuery(adminUrl, `DROP DATABASE ${kept.name}`);
    expect(existsSync(join(workDir, 'postgres')), 'no embedded server with DATABASE_URL').to.equal(false);
  });

  it('without DATABASE_URL starts the embedded server under the work directory, durable, and stops it', async function () {
    const own = mkdtempSync(join(tmpdir(), 'bench-embedded-test-'));
    const embedded = createBenchDatabases({ workDir: own });
    try {
      expect(await embedded.info(), 'nothing started before a database is asked for').to.equal(undefined);
      expect(embedded.serverPid()).to.equal(undefined);
      const database = await embedded.create('mirror');
      // The postmaster with its backends: more CPU and memory than the postmaster alone.
      const pid = embedded.serverPid();
      expect(pid).to.be.a('number');
      const busy = await database.open();
      await busy.query('SELECT count(*) FROM generate_series(1, 3000000)');
      const tree = sampleProcessTree(pid)!;
      const alone = sampleProcess(pid)!;
      expect(tree.rssMiB).to.be.greaterThan(alone.rssMiB);
      expect(tree.cpuMs).to.be.greaterThan(alone.cpuMs);
      await busy.close();
      expect(existsSync(join(own, 'postgres', 'PG_VERSION'))).to.equal(true);
      const info = await embedded.info();
      expect(info).to.deep.include({ kind: 'embedded', durable: true });
      expect(info!.version).to.match(/^\d+\.\d+/);
      const copy = await embedded.create('run', { template: database });
      const store = await copy.open({ schema: 'check' });
      await upsertTwin(store, twin(5));
      await store.close();
      await embedded.stop({ keep: false });
      expect((await rejectionOf(copy.open())).message).to.match(/connect|ECONNREFUSED|terminat/i);
    } finally {
      await embedded.stop({ keep: false });
      rmSync(own, { recursive: true, force: true });
    }
  });
});
