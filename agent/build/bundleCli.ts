/**
 * Bundles the device agent's CLI into one file (issue 17: a lean agent): agent/dist/agent/src/cli.js, written over
 * what tsc compiled there, with everything `twin-agent run` loads (the agent's and twin-core's modules, the
 * generated validators, mqtt.js's client, @noble/curves) in one compact script. The device then keeps one module
 * source instead of about 200 and resolves no module paths at start-up: about 6.5 MiB less RSS once loaded. Run by
 * `scripts/ensureBuilt.js agent` after tsc; the rest of agent/dist (the library, its declarations, the simulator,
 * the benchmarks) stays tsc's.
 *
 * Left out of the bundle, loaded from agent/dist and node_modules only when used, as before:
 * - `./runSimulator` (the simulator and its signer workers, with zod: only for `twin-agent simulate`);
 * - `mqtt` itself (its `connect`, with every transport, only for ws:// and wss:// brokers);
 * - a sensor plug-in's module (`require()`d by path from the config).
 * The CLI's first line (the V8 flags the agent runs with) is kept. Every bundled package is the one the lockfile
 * installed, unchanged (Node.js's `node:stream` in place of mqtt.js's `readable-stream` measured 0.3 MiB less once
 * loaded and nothing in `run`: not worth running mqtt.js on streams it was not released with).
 *
 * @example
 * npx ts-node -T agent/build/bundleCli.ts            # after `tsc -p agent/tsconfig.json`
 * npx ts-node -T agent/build/bundleCli.ts --analyze  # and print what takes the space
 */
import { analyzeMetafile, build, type Plugin } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const AGENT = join(__dirname, '..');
export const BUNDLE_FILE = join(AGENT, 'dist', 'agent', 'src', 'cli.js');
/** What went into the bundle: each input file (relative to the repository) and its bytes in the bundle. */
export const BUNDLE_INPUTS_FILE = join(AGENT, 'dist', 'agent', 'src', 'cli.inputs.json');

/** What stays outside the bundle (see above). */
const leanAgent: Plugin = {
  name: 'lean-agent',
  setup(context) {
    context.onResolve({ filter: /^\.\/runSimulator$/ }, (args) => ({ path: args.path, external: true }));
    // Only the bare `require('mqtt')` of the ws:// path: `mqtt/lib/client` (mqtt:// and mqtts://) is bundled.
    context.onResolve({ filter: /^mqtt$/ }, (args) =>
      args.kind === 'require-call' ? { path: 'mqtt', external: true } : undefined,
    );
  },
};

async function main(): Promise<void> {
  const result = await build({
    entryPoints: [join(AGENT, 'src', 'cli.ts')],
    outfile: BUNDLE_FILE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // agent/package.json's engines (the CLI refuses older ones itself).
    target: 'node18',
    // Compact, names kept (stack traces and error names stay readable); ASCII output, so V8 holds the source as
    // one byte per character.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    // `await import('./runSimulator')` as tsc compiles it, a `require()`: an ESM import() of a CommonJS file would
    // need its extension and start the ESM loader.
    supported: { 'dynamic-import': false },
    plugins: [leanAgent],
    metafile: true,
    logLevel: 'warning',
    // A sensor plug-in's `require(target)` by path is meant to stay dynamic.
    logOverride: { 'unsupported-require-call': 'silent' },
  });
  const root = join(AGENT, '..');
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs = Object.fromEntries(
    Object.entries(output.inputs)
      .map(([file, { bytesInOutput }]) => [relative(root, join(root, file)), bytesInOutput] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  writeFileSync(BUNDLE_INPUTS_FILE, `${JSON.stringify({ bytes: output.bytes, inputs }, null, 1)}\n`);
  if (process.argv.includes('--analyze')) process.stdout.write(await analyzeMetafile(result.metafile));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bundling the agent's CLI failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
