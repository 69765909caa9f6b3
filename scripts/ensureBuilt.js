// @ts-check
/**
 * Builds what the entry points need, on demand: the contracts with their TypeChain types (`artifacts/`,
 * `typechain-types/`), the agent (`agent/dist/`) and the oracle's bundled CLI (`oracle/dist/`). A target is rebuilt when its outputs are missing, when its
 * inputs changed since the last build (a SHA-256 of every source file, the build configuration and the tool
 * versions), or when its outputs changed since then (a rebuild by another tool, e.g. solidity-coverage's
 * instrumented artifacts). A warm check reads the sources and stats the outputs: milliseconds, no compiler started.
 *
 * Plain CommonJS with no dependencies, so it runs before ts-node and on any Node.js >= 18. What it prints goes to
 * stderr (an entry point's stdout stays its own, e.g. `npm run agent -- once --print`). While `hardhat coverage`
 * runs (`TWIN_COVERAGE_RUNNING=1`, set by tasks/coverage.ts for it and every process it starts) the contracts are
 * never rebuilt: their instrumented artifacts are what the tests must deploy.
 *
 * @example
 * node scripts/ensureBuilt.js contracts agent      # from package.json scripts; exits 1 when a build fails
 * require('./scripts/ensureBuilt').ensureBuilt(['agent'])
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** The repository root (scripts/..). */
const ROOT = path.join(__dirname, '..');

/**
 * @typedef {'contracts' | 'agent' | 'oracle'} BuildTarget
 * @typedef {{ dir: string, extensions: string[] } | { file: string }} InputSpec
 * @typedef {{
 *   description: string,
 *   inputs: InputSpec[],
 *   outputs: string[],
 *   required: string[],
 *   stamp: string,
 *   build: (root: string) => { steps: { command: string, args: string[] }[], clean: string[] },
 * }} TargetSpec
 */

/** @type {Record<BuildTarget, TargetSpec>} */
const TARGETS = {
  contracts: {
    description: 'the contracts and their TypeChain types',
    inputs: [
      { dir: 'contracts', extensions: ['.sol'] },
      { file: 'hardhat.config.ts' },
      { file: '.solcover.js' },
      { file: 'node_modules/@openzeppelin/contracts/package.json' },
      { file: 'node_modules/solc/package.json' },
      { file: 'node_modules/hardhat/package.json' },
      { file: 'node_modules/typechain/package.json' },
      { file: 'node_modules/@typechain/ethers-v6/package.json' },
    ],
    outputs: ['artifacts/contracts', 'typechain-types'],
    required: [
      'artifacts/contracts/TwinRegistry.sol/TwinRegistry.json',
      'artifacts/contracts/EntityRegistry.sol/EntityRegistry.json',
      'artifacts/contracts/SnapshotAnchor.sol/SnapshotAnchor.json',
      'artifacts/contracts/Forwarder.sol/TwinForwarder.json',
      'typechain-types/index.ts',
    ],
    stamp: 'cache/twin-build/contracts.json',
    // `hardhat typechain`: compiles what changed, then regenerates every type (a plain compile skips the types when
    // the artifacts are current, e.g. after typechain-types/ was deleted).
    build: (root) => ({
      steps: [
        {
          command: process.execPath,
          args: [path.join(root, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js'), 'typechain'],
        },
      ],
      clean: [],
    }),
  },
  agent: {
    description: 'the agent into agent/dist',
    inputs: [
      { dir: 'agent/src', extensions: ['.ts'] },
      { dir: 'agent/bench', extensions: ['.ts'] },
      { dir: 'agent/build', extensions: ['.ts'] },
      { dir: 'twin-core/src', extensions: ['.ts'] },
      { file: 'spec/src/jsonSchema.ts' },
      { file: 'node_modules/ajv/package.json' },
      { file: 'node_modules/zod/package.json' },
      { file: 'agent/tsconfig.json' },
      { file: 'agent/package.json' },
      { file: 'node_modules/typescript/package.json' },
      // The CLI is bundled with what it loads from node_modules (mqtt.js, @noble/curves, esbuild itself).
      { file: 'package-lock.json' },
    ],
    outputs: ['agent/dist'],
    required: [
      'agent/dist/agent/src/cli.js',
      'agent/dist/agent/src/cli.inputs.json',
      'agent/dist/agent/src/index.js',
      'agent/dist/agent/src/device/signerWorker.js',
      'agent/dist/agent/bench/snapshot.js',
      'agent/src/validate/generated/messages.js',
      'agent/dist/agent/src/validate/generated/messages.js',
      'agent/src/validate/generated/config.js',
      'agent/dist/agent/src/validate/generated/config.js',
    ],
    stamp: 'agent/dist/.twin-build.json',
    // First the validators generated from the zod schemas (the device carries no zod, issue 17), then the agent
    // from clean (no output of a deleted source stays behind), then its CLI bundled into one file over tsc's.
    build: (root) => ({
      steps: [
        {
          command: process.execPath,
          args: [
            path.join(root, 'node_modules', 'ts-node', 'dist', 'bin.js'),
            '-T',
            path.join('agent', 'build', 'generateValidators.ts'),
          ],
        },
        {
          command: process.execPath,
          args: [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join('agent', 'tsconfig.json')],
        },
        {
          command: process.execPath,
          args: [
            path.join(root, 'node_modules', 'ts-node', 'dist', 'bin.js'),
            '-T',
            path.join('agent', 'build', 'bundleCli.ts'),
          ],
        },
      ],
      clean: ['agent/dist'],
    }),
  },
  oracle: {
    description: "the oracle's CLI into oracle/dist",
    // Every repository module the oracle's CLI loads (oracle/build/bundleCli.ts); its packages stay external.
    inputs: [
      { dir: 'oracle/src', extensions: ['.ts'] },
      { dir: 'oracle/build', extensions: ['.ts'] },
      { dir: 'twin-core/src', extensions: ['.ts'] },
      { dir: 'store/src', extensions: ['.ts'] },
      { dir: 'blobs/src', extensions: ['.ts', '.mts', '.mjs'] },
      { file: 'node_modules/esbuild/package.json' },
      { file: 'tsconfig.json' },
    ],
    outputs: ['oracle/dist'],
    required: ['oracle/dist/cli.js', 'oracle/dist/verifierWorker.js'],
    stamp: 'oracle/dist/.twin-build.json',
    build: (root) => ({
      steps: [
        {
          command: process.execPath,
          args: [
            path.join(root, 'node_modules', 'ts-node', 'dist', 'bin.js'),
            '-T',
            path.join('oracle', 'build', 'bundleCli.ts'),
          ],
        },
      ],
      clean: ['oracle/dist'],
    }),
  },
};

/** Every file under `dir` (relative to `root`), sorted; none when it does not exist. */
function listFiles(root, dir) {
  /** @type {string[]} */
  const found = [];
  const walk = (relative) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) found.push(child);
    }
  };
  walk(dir);
  return found.sort();
}

/** SHA-256 of the target's inputs: each file's path and content, in a fixed order. */
function inputDigest(root, spec) {
  const hash = createHash('sha256');
  for (const input of spec.inputs) {
    const files =
      'file' in input
        ? [input.file]
        : listFiles(root, input.dir).filter((file) => input.extensions.some((extension) => file.endsWith(extension)));
    for (const file of files) {
      hash.update(file).update('\0');
      try {
        hash.update(fs.readFileSync(path.join(root, file)));
      } catch {
        hash.update('(absent)');
      }
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

/** SHA-256 of the target's outputs as the file system describes them: path, size and modification time. */
function outputDigest(root, spec) {
  const hash = createHash('sha256');
  for (const dir of spec.outputs) {
    for (const file of listFiles(root, dir)) {
      if (file === spec.stamp) continue;
      const stat = fs.statSync(path.join(root, file));
      hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
    }
  }
  return hash.digest('hex');
}

function readStamp(root, spec) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, spec.stamp), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether `target` is built and current in `root`; when not, why.
 *
 * @param {BuildTarget} target
 * @param {string} [root]
 * @returns {{ fresh: true } | { fresh: false, reason: string }}
 * @example
 * checkBuilt('agent') // { fresh: false, reason: 'agent/dist/agent/src/cli.js is missing' }
 */
function checkBuilt(target, root = ROOT) {
  const spec = TARGETS[target];
  if (spec === undefined) throw new Error(`unknown build target "${target}" (contracts, agent or oracle)`);
  const missing = spec.required.find((file) => !fs.existsSync(path.join(root, file)));
  if (missing !== undefined) return { fresh: false, reason: `${missing} is missing` };
  const stamp = readStamp(root, spec);
  if (stamp === undefined) return { fresh: false, reason: 'no record of a build' };
  if (stamp.inputs !== inputDigest(root, spec)) return { fresh: false, reason: 'sources changed since the last build' };
  if (stamp.outputs !== outputDigest(root, spec))
    return { fresh: false, reason: 'outputs changed since the last build' };
  return { fresh: true };
}

/** Records that `target` was just built from its current sources. */
function recordBuilt(target, root = ROOT) {
  const spec = TARGETS[target];
  const file = path.join(root, spec.stamp);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // The stamp is not among the outputs it describes (outputDigest skips it).
  const stamp = { inputs: inputDigest(root, spec), outputs: outputDigest(root, spec) };
  fs.writeFileSync(file, `${JSON.stringify(stamp)}\n`);
}

/** Sleeps synchronously (the lock wait of a synchronous build). */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the process `pid` is alive. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * Runs `body` holding the build lock of `root` (a directory with the holder's PID), so that two commands started at
 * once do not build into the same folders; a lock whose holder died is taken over.
 */
function withLock(root, body) {
  const lock = path.join(root, 'cache', 'twin-build', 'lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')) || 0;
      } catch {
        // released meanwhile, or not written yet
      }
      // A holder that died, or a lock left without a PID for over 10 s (killed between mkdir and write).
      if ((holder > 0 && !alive(holder)) || (holder === 0 && waited > 10_000)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waited === 0) process.stderr.write(`Waiting for another build in ${root} (process ${holder})…\n`);
      sleep(200);
    }
  }
  try {
    return body();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds each of `targets` that is missing or stale, in order, and returns the ones it built. Throws with the
 * build's exit status when one fails (its output is on stderr).
 *
 * @param {BuildTarget[]} targets
 * @param {{ root?: string, force?: boolean, log?: (line: string) => void }} [options]
 * @returns {BuildTarget[]}
 * @example
 * ensureBuilt(['contracts', 'agent']) // [] when everything is current
 */
function ensureBuilt(targets, options = {}) {
  const root = options.root ?? ROOT;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  /** @type {BuildTarget[]} */
  const built = [];
  for (const target of targets) {
    // solidity-coverage's instrumented artifacts are current by design while it runs (tasks/coverage.ts).
    if (target === 'contracts' && process.env.TWIN_COVERAGE_RUNNING === '1') continue;
    const first = options.force ? { fresh: false, reason: 'forced' } : checkBuilt(target, root);
    if (first.fresh) continue;
    withLock(root, () => {
      // Another command may have built it while this one waited for the lock.
      const state = options.force ? first : checkBuilt(target, root);
      if (state.fresh) return;
      const spec = TARGETS[target];
      log(`Building ${spec.description} (${state.reason})…`);
      const started = Date.now();
      const { steps, clean } = spec.build(root);
      for (const dir of clean) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
      for (const { command, args } of steps) {
        // Their stdout is ours on stderr: the entry point's stdout stays clean.
        const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 2, 2] });
        if (result.status !== 0) {
          const how = result.error?.message ?? (result.signal ? `signal ${result.signal}` : `exit ${result.status}`);
          throw new Error(`Building ${spec.description} failed (${how}); the errors are above.`);
        }
      }
      recordBuilt(target, root);
      built.push(target);
      log(`Built ${spec.description} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    });
  }
  return built;
}

module.exports = { ROOT, checkBuilt, ensureBuilt };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const force = argv.includes('--force');
  const targets = argv.filter((arg) => arg !== '--force');
  const unknown = targets.filter((target) => !Object.hasOwn(TARGETS, target));
  if (targets.length === 0 || unknown.length > 0) {
    process.stderr.write(
      `usage: node scripts/ensureBuilt.js [--force] contracts|agent|oracle…${
        unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''
      }\n`,
    );
    process.exit(2);
  }
  try {
    ensureBuilt(/** @type {BuildTarget[]} */ (targets), { force });
  } catch (error) {
    process.stderr.write(`${/** @type {Error} */ (error).message}\n`);
    process.exit(1);
  }
}
