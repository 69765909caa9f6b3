import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResults } from '../../bench/runBench';
import { skipUnderCoverage } from '../helpers/coverage';
import { testServer } from '../helpers/store';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs `npm run bench -- <args>` in the repository and collects its output; `databaseUrl` is the server the bench
 * creates its databases on (`DATABASE_URL`).
 */
function runBench(
  args: string[],
  databaseUrl: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
  for (const key of ['HARDHAT_NETWORK', 'BENCH_VERBOSE']) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectNumber(value: unknown, what: string) {
  expect(typeof value, `${what} is a number (${String(value)})`).to.equal('number');
  expect(Number.isFinite(value), `${what} is finite (${String(value)})`).to.equal(true);
}

/** A section either has figures, or says why not; a broken harness fails the test with the section's error. */
function expectRanOrSkipped(name: string, outcome: { status: string; reason?: string; error?: string }) {
  expect(outcome.status, `${name} failed: ${outcome.error}`).to.be.oneOf(['ok', 'skipped']);
  if (outcome.status === 'skipped')
    expect(outcome.reason, `${name} says why it was skipped`).to.be.a('string').that.is.not.empty;
}

// A benchmark: the test checks that every figure is there and reported, never how fast anything is.
describe('npm run bench -- --quick', function () {
  this.timeout(10 * 60_000);
  let outDir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let results: BenchResults;

  before(async function () {
    skipUnderCoverage(this, 'npm run bench');
    outDir = mkdtempSync(join(tmpdir(), 'bench-test-'));
    // The suite's PostgreSQL: the bench creates a database per oracle run on it, and drops them at the end.
    run = await runBench(['--quick', '--out-dir', outDir], (await testServer()).adminUrl);
    const latest = join(outDir, 'latest.json');
    expect(existsSync(latest), `no results written; stderr:\n${run.stderr.slice(-3_000)}`).to.equal(true);
    results = JSON.parse(readFileSync(latest, 'utf8')) as BenchResults;
  });

  after(function () {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('exits 0 and writes <ISO date>.json beside latest.json, with the same figures', function () {
    expect(run.code, run.stderr.slice(-3_000)).to.equal(0);
    const files = readdirSync(outDir).filter((file) => file !== 'latest.json');
    expect(files).to.have.length(1);
    expect(files[0]).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.json$/);
    expect(readFileSync(join(outDir, files[0]!), 'utf8')).to.equal(readFileSync(join(outDir, 'latest.json'), 'utf8'));
    expect(results.quick).to.equal(true);
  });

  it('records the machine: CPU, cores, memory, Node.js and the load average', function () {
    const { machine } = results;
    expect(machine.cpuModel).to.be.a('string').that.is.not.empty;
    expect(machine.cores).to.be.greaterThan(0);
    expectNumber(machine.memoryGiB, 'memory');
    expect(machine.node).to.match(/^v\d+\./);
    expect(machine.loadAverage).to.have.length(3);
    machine.loadAverage.forEach((load, i) => expectNumber(load, `load average ${i}`));
    expectNumber(results.loadAverageAtEnd, 'load average at the end');
  });

  it('records the PostgreSQL server the oracles and the API shared: the external one of DATABASE_URL', function () {
    expect(results.store?.kind).to.equal('external');
    expect(results.store?.version).to.match(/^\d+\.\d+/);
  });

  it('has gas figures: every action with a target, and anchoring per snapshot', function () {
    const { gas } = results.sections;
    expectRanOrSkipped('gas', gas);
    if (gas.status !== 'ok') return;
    expect(gas.result.actions.length).to.be.greaterThan(0);
    for (const action of gas.result.actions) expectNumber(action.gasUsed, `${action.name} gas`);
    expect(gas.result.anchoring.map((figure) => figure.batchSize)).to.include(1024);
  });

  it('has ingest figures for aedes, and for Mosquitto or the reason it was skipped', function () {
    const { ingest } = results.sections;
    expectRanOrSkipped('ingest', ingest);
    if (ingest.status !== 'ok') return;
    expect(ingest.result.failed, JSON.stringify(ingest.result.failed)).to.deep.equal([]);
    const brokers = ingest.result.runs.map((run) => run.broker);
    expect(brokers).to.include('aedes');
    if (!brokers.includes('mosquitto')) {
      const skipped = ingest.result.skipped.find((skip) => skip.broker === 'mosquitto');
      expect(skipped?.reason, 'Mosquitto ran or says why not').to.be.a('string').that.is.not.empty;
    }
    for (const run of ingest.result.runs) {
      const what = `${run.broker} ${run.devices}`;
      for (const phase of ['telemetry', 'snapshots', 'paced'] as const) {
        const figures = run.phases[phase];
        expect(figures, `${what} ${phase}`).to.not.equal(undefined);
        expectNumber(figures!.throughput.perSecond, `${what} ${phase} per second`);
        expect(figures!.published, `${what} ${phase} published`).to.be.greaterThan(0);
      }
      for (const phase of ['snapshots', 'paced'] as const) {
        expectNumber(run.phases[phase]!.latency?.p50Ms, `${what} ${phase} p50`);
        expectNumber(run.phases[phase]!.latency?.p99Ms, `${what} ${phase} p99`);
      }
      expectNumber(run.oracle.peakRssMiB, `${what} oracle RSS`);
    }
  });

  it('has API figures for one twin, for a page and for a bare node:http server, on a populated store', function () {
    const { api } = results.sections;
    expectRanOrSkipped('api', api);
    if (api.status !== 'ok') return;
    expect(api.result.population.twins).to.be.greaterThan(0);
    expect(api.result.population.telemetryDevices, 'the ingest run left telemetry in the store').to.be.greaterThan(0);
    expect(api.result.population.source).to.be.a('string').that.is.not.empty;
    expect(api.result.twin.non2xx, 'every twin view answered 2xx').to.equal(0);
    expect(api.result.bare.non2xx).to.equal(0);
    expect(api.result.bare.route).to.match(/bare node:http/);
    expectNumber(api.result.twinToBare, 'twin view / bare node:http');
    expect(api.result.twinToBare).to.be.greaterThan(0);
    // The view cache's counters over the twin endpoint's run, read from the API's /metrics.
    const cache = api.result.twinCache;
    expect(cache, 'twin view cache counters').to.not.equal(undefined);
    expect(cache!.hits + cache!.misses).to.be.at.least(api.result.twin.requests);
    expect(cache!.hitRate).to.be.within(0, 1);
    for (const endpoint of [api.result.twin, api.result.page, api.result.bare]) {
      expectNumber(endpoint.perSecond, `${endpoint.route} per second`);
      expectNumber(endpoint.p50Ms, `${endpoint.route} p50`);
      expectNumber(endpoint.p99Ms, `${endpoint.route} p99`);
      expect(endpoint.requests, `${endpoint.route} requests`).to.be.greaterThan(0);
    }
  });

  it('has the agent footprint, and the soak skipped with its reason', function () {
    const { agent, soak } = results.sections;
    expectRanOrSkipped('agent', agent);
    if (agent.status === 'ok') {
      expectNumber(agent.result.snapshotCpuMsMedian, 'agent CPU per snapshot');
      expectNumber(agent.result.peakRssMiB, 'agent RSS');
    }
    expect(soak.status).to.equal('skipped');
    expectRanOrSkipped('soak', soak);
  });

  it('prints the table: each figure beside its target, marked met or missed', function () {
    expect(run.stdout).to.match(/section\s+figure\s+value\s+target\s+verdict/);
    expect(results.table.length).to.be.greaterThan(10);
    for (const row of results.table) {
      expect(run.stdout, `the table prints ${row.section} / ${row.figure}`).to.include(row.figure);
      if (row.target !== '' && row.value !== undefined) expect(row.verdict).to.be.oneOf(['met', 'missed']);
    }
    expect(run.stdout).to.include(join(outDir, 'latest.json'));
  });
});
