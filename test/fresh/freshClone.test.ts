import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  readlinkSync,
  symlinkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { DEFAULT_SYSTEM_PATHS } from '../../agent/src/collect/context';
import { readBoardInfo } from '../../agent/src/collect/cpuinfo';
import { freePort } from '../helpers/brokers';
import { skipUnderCoverage } from '../helpers/coverage';

const ROOT = join(__dirname, '..', '..');

/** What a fresh clone never has: the build outputs every entry point must make itself. */
const BUILD_OUTPUTS = [
  'artifacts',
  'cache',
  'typechain-types',
  join('agent', 'dist'),
  join('agent', 'src', 'validate', 'generated'),
];
const CONTRACT_ARTIFACT = join('artifacts', 'contracts', 'TwinRegistry.sol', 'TwinRegistry.json');
const TYPECHAIN_INDEX = join('typechain-types', 'index.ts');
const AGENT_CLI = join('agent', 'dist', 'agent', 'src', 'cli.js');

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/**
 * The README's commands on a fresh clone: a copy of the files git tracks (and new ones it would, so a dirty tree is
 * tested as it stands) with the installed node_modules hard-linked in, nothing built. Each entry point must build
 * what it needs on its own, then start; a warm start builds nothing.
 */
describe('A fresh clone: every README command builds what it needs and starts (npm ci, nothing built)', function () {
  this.timeout(15 * 60_000);
  let tree: string;
  let env: NodeJS.ProcessEnv;

  /** Runs `npm <args>` in the fresh tree to completion (bounded), in its own process group. */
  function npm(args: string[], timeoutMs = 180_000): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn('npm', args, { cwd: tree, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        reject(new Error(`npm ${args.join(' ')} took over ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  const exists = (path: string) => existsSync(join(tree, path));
  const mtime = (path: string) => statSync(join(tree, path)).mtimeMs;

  before(async function () {
    skipUnderCoverage(this, 'the fresh clone');
    tree = mkdtempSync(join(tmpdir(), 'twin-fresh-'));
    // The tree is 0700, as a clone under /root would be: as root, npm start's embedded PostgreSQL (run as user
    // postgres) is given search permission on the way to `.data/…/postgres` by the store itself (grantServerSearch).
    const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(listed.status, listed.stderr).to.equal(0);
    // Deleted files are left out; tracked symlinks (fixture trees) stay links.
    const files = listed.stdout.split('\0').filter((file) => file !== '' && lexists(join(ROOT, file)));
    expect(files).to.include('package.json');
    for (const file of files) {
      mkdirSync(dirname(join(tree, file)), { recursive: true });
      const source = join(ROOT, file);
      if (lstatSync(source).isSymbolicLink()) symlinkSync(readlinkSync(source), join(tree, file));
      else copyFileSync(source, join(tree, file));
    }
    // The installed dependencies, as `npm ci` leaves them (the workspace packages are relative symlinks).
    const linked = spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(tree, 'node_modules')]);
    expect(linked.status, String(linked.stderr)).to.equal(0);
    for (const output of BUILD_OUTPUTS) expect(exists(output), `${output} in a fresh clone`).to.equal(false);

    env = { ...process.env, NO_COLOR: '1', TWIN_AGENT_DATA_DIR: join(tree, '.data', 'agent') };
    for (const key of ['FORCE_COLOR', 'HARDHAT_NETWORK', 'RPC_URL', 'PRIVATE_KEY', 'CHAIN_ID', 'LOCAL_RPC_URL']) {
      delete env[key];
    }
    // A fresh clone has no database configured: npm start runs its embedded PostgreSQL (the shared index).
    for (const key of Object.keys(env)) if (key === 'DATABASE_URL' || key.startsWith('STORE_')) delete env[key];
    // A machine the agent cannot identify by itself (a container without machine-id) is given the missing fields.
    const board = await readBoardInfo(DEFAULT_SYSTEM_PATHS);
    if (board.serialNumber === null) {
      const config = join(tree, 'agent-config.json');
      writeFileSync(config, JSON.stringify({ identity: { serialNumber: 'fresh-clone-test' } }));
      env.TWIN_AGENT_CONFIG = config;
    }
  });

  after(function () {
    if (tree !== undefined) rmSync(tree, { recursive: true, force: true });
  });

  it('npm run agent -- once --print builds the agent (and nothing else) and prints a signed snapshot', async function () {
    const run = await npm(['run', '--silent', 'agent', '--', 'once', '--print']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include('Building the agent into agent/dist (agent/dist/agent/src/cli.js is missing)');
    const message = JSON.parse(run.stdout) as { kind: string; deviceId: string; sig: string };
    expect(message.kind).to.equal('snapshot');
    expect(message.deviceId).to.match(/^0x[0-9a-f]{64}$/);
    expect(message.sig).to.match(/^0x[0-9a-f]{130}$/);
    expect(exists(AGENT_CLI)).to.equal(true);
    expect(exists('artifacts'), 'the agent needs no contracts').to.equal(false);
  });

  it('a warm start builds nothing; a changed source rebuilds the agent once', async function () {
    const built = mtime(AGENT_CLI);
    const warm = await npm(['run', '--silent', 'agent', '--', 'identity']);
    expect(warm.code, warm.stderr).to.equal(0);
    expect(warm.stderr).to.not.include('Building');
    expect(mtime(AGENT_CLI)).to.equal(built);
    expect((JSON.parse(warm.stdout) as { deviceId: string }).deviceId).to.match(/^0x[0-9a-f]{64}$/);

    const source = join(tree, 'twin-core', 'src', 'encoding', 'hex.ts');
    writeFileSync(source, `${readFileSync(source, 'utf8')}\n// edited\n`);
    const changed = await npm(['run', '--silent', 'agent', '--', 'identity']);
    expect(changed.code, changed.stderr).to.equal(0);
    expect(changed.stderr).to.include('(sources changed since the last build)');
    expect(mtime(AGENT_CLI)).to.be.greaterThan(built);
  });

  it('npm start compiles the contracts and their types, brings the whole system up, and stops on Ctrl-C', async function () {
    const [port, apiPort, brokerPort] = [await freePort(), await freePort(), await freePort()];
    const args = ['start', '--', '--port', `${port}`, '--api-port', `${apiPort}`, '--broker-port', `${brokerPort}`];
    const child = spawn('npm', [...args, '--devices', '1', '--security-warmup', '5'], {
      cwd: tree,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Closed once every process of the group has let go of the output (npm, its shell, Hardhat).
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      for (const deadline = Date.now() + 240_000; !output.includes('Ready. Ctrl-C stops everything.'); ) {
        if (child.exitCode !== null || Date.now() > deadline) expect.fail(`npm start was not ready:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(output).to.include('Building the contracts and their TypeChain types');
      expect(exists(CONTRACT_ARTIFACT) && exists(TYPECHAIN_INDEX)).to.equal(true);
      const health = (await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/health`)).json()) as { status: string };
      expect(health.status, JSON.stringify(health)).to.equal('up');
      expect(output).to.match(/Security {8}0x[0-9a-fA-F]{40} \(demo security entity #5\)/);
      // The shared index: the embedded PostgreSQL under the data directory, the chain mirror's twins in it.
      expect(output).to.include(`Index           PostgreSQL, embedded in ${join(tree, '.data', 'demo', 'postgres')}`);
      expect(exists(join('.data', 'demo', 'postgres', 'PG_VERSION')), 'the embedded cluster').to.equal(true);
      let total = 0;
      for (const deadline = Date.now() + 30_000; total === 0 && Date.now() < deadline; ) {
        const page = (await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/twins`)).json()) as { total?: number };
        total = page.total ?? 0;
        if (total === 0) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(total, 'the demo twins mirrored into the index and listed by the API').to.be.greaterThan(0);
      // Ctrl-C signals the whole group: npm itself dies of it (as in a terminal), the system stops cleanly.
      killGroup(child.pid, 'SIGINT');
      const { code, signal } = await closed;
      expect(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}\n${output.slice(-2_000)}`).to.equal(true);
      expect(output, output.slice(-3_000)).to.include('Stopped.');
    } finally {
      killGroup(child.pid, 'SIGKILL');
    }
  });

  it('npm run api, bench and bench:gas rebuild missing TypeChain types, then start', async function () {
    for (const [script, usage] of [
      ['api', 'Usage: npm run api --'],
      ['bench', 'Usage: npm run bench --'],
      ['bench:gas', 'usage: npm run bench:gas --'],
    ] as const) {
      rmSync(join(tree, 'typechain-types'), { recursive: true, force: true });
      const run = await npm(['run', '--silent', script, '--', '--help']);
      expect(run.code, `${script}: ${run.stderr}`).to.equal(0);
      expect(run.stdout, script).to.include(usage);
      expect(run.stderr, script).to.include('(typechain-types/index.ts is missing)');
      expect(exists(TYPECHAIN_INDEX), script).to.equal(true);
    }
  });

  it('npm run oracle, rebuild, security, eval and dataset start (they need nothing built)', async function () {
    for (const [script, usage] of [
      ['oracle', 'Usage: npm run oracle --'],
      ['rebuild', 'Usage: npm run rebuild --'],
      ['security', 'Usage: npm run security --'],
      ['eval', 'Usage: npm run eval --'],
      ['dataset', 'Usage: npm run dataset --'],
    ] as const) {
      const run = await npm(['run', '--silent', script, '--', '--help']);
      expect(run.code, `${script}: ${run.stderr}`).to.equal(0);
      expect(run.stdout, script).to.include(usage);
    }
  });

  it('npm run typecheck generates the TypeChain types it checks against', async function () {
    rmSync(join(tree, 'typechain-types'), { recursive: true, force: true });
    const run = await npm(['run', '--silent', 'typecheck'], 300_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stderr).to.include('(typechain-types/index.ts is missing)');
  });

  it('npm test builds the contracts and the agent first (one test file of the suite)', async function () {
    for (const output of ['typechain-types', join('agent', 'dist')]) rmSync(join(tree, output), { recursive: true });
    const run = await npm(['test', '--', join('test', 'core', 'deviceId.test.ts')], 300_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stderr).to.include('Building the contracts and their TypeChain types');
    expect(run.stderr).to.include('Building the agent into agent/dist');
    expect(run.stdout).to.match(/\d+ passing/);
    expect(run.stdout).to.not.match(/failing/);
  });
});

/** Whether `path` exists, a dangling symlink included. */
function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
