import { expect } from 'chai';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY_POINTS = ['agent/src/cli.ts', 'agent/src/index.ts', 'agent/src/device/signerWorker.ts'];
/** What the agent may depend on: small pure-JavaScript packages only. */
const ALLOWED_PACKAGES = ['mqtt', 'zod', '@noble/hashes', '@noble/curves'];
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Where the device runs from: the CLI (`run`, `once`, `identity`) and the signing worker. */
const DEVICE_ENTRY_POINTS = ['agent/src/cli.ts', 'agent/src/device/signerWorker.ts'];
/**
 * What the device may load at run time (issue 17): mqtt and the signer. zod and ajv are build-time only (the
 * validators are generated from the zod schemas), and so is anything else heavy.
 */
const DEVICE_PACKAGES = ['mqtt', '@noble/hashes', '@noble/curves'];

/**
 * The module specifiers a TypeScript file loads at run time: imports and re-exports that are not type-only,
 * requires; dynamic `import()`s apart (loaded only when that code runs).
 */
function runtimeSpecifiers(source: string): { eager: string[]; lazy: string[] } {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const eager: string[] = [];
  const clause = /\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const match of code.matchAll(clause)) {
    if (match[2] !== undefined) continue;
    const names = /\{([^}]*)\}/.exec(match[3]!);
    const onlyTypes =
      names !== null &&
      !/^[^{]*\w[^{]*\{/.test(match[3]!) &&
      names[1]!
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
        .every((name) => name.startsWith('type '));
    if (!onlyTypes) eager.push(match[4]!);
  }
  for (const match of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) eager.push(match[1]!);
  for (const match of code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) eager.push(match[1]!);
  const lazy = [...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1]!);
  return { eager, lazy };
}

/** What the device loads when it starts: files and packages reached by run-time imports, and the lazy ones. */
function deviceGraph(): { files: Set<string>; packages: Map<string, string>; lazy: Set<string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const lazy = new Set<string>();
  const queue = DEVICE_ENTRY_POINTS.map((entry) => join(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const found = runtimeSpecifiers(readFileSync(file, 'utf8'));
    for (const specifier of found.eager) {
      if (specifier.startsWith('.')) queue.push(resolveLocal(file, specifier));
      else if (!BUILTINS.has(specifier)) packages.set(packageName(specifier), relative(ROOT, file));
    }
    for (const specifier of found.lazy)
      lazy.add(specifier.startsWith('.') ? relative(ROOT, resolveLocal(file, specifier)) : specifier);
  }
  return { files, packages, lazy };
}

/** Every module specifier a TypeScript file imports, exports from or requires (static text, comments stripped). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[^'";]*?from\s*['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[^'";]*?from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]!);
  return found;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function resolveLocal(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), `${base}.js`]) if (existsSync(candidate)) return candidate;
  throw new Error(`${relative(ROOT, from)} imports ${specifier}, which does not resolve to a .ts file`);
}

/** The agent's import graph: its files and the packages they use. */
function importGraph(): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = ENTRY_POINTS.map((entry) => join(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) queue.push(resolveLocal(file, specifier));
      else if (!BUILTINS.has(specifier)) packages.set(packageName(specifier), relative(ROOT, file));
    }
  }
  return { files, packages };
}

describe('The agent import graph', function () {
  const graph = importGraph();

  it('reaches real files (the walk works)', function () {
    expect(graph.files.size).to.be.greaterThan(10);
    expect([...graph.files].map((file) => relative(ROOT, file))).to.include('agent/src/transport/mqttPublisher.ts');
  });

  it('uses only mqtt, zod and @noble packages besides Node built-ins', function () {
    const outside = [...graph.packages.entries()].filter(([name]) => !ALLOWED_PACKAGES.includes(name));
    expect(outside, `imported by the agent: ${JSON.stringify(outside)}`).to.deep.equal([]);
  });

  it('never reaches Hardhat, ethers, IPFS, the API, the oracle or the Merkle tree code', function () {
    const reached = [...graph.files].map((file) => relative(ROOT, file));
    const forbidden = reached.filter(
      (file) =>
        !(file.startsWith('agent/src/') || file.startsWith('twin-core/src/')) || file.includes('merkle/snapshotTree'),
    );
    expect(forbidden).to.deep.equal([]);
    for (const name of ['hardhat', 'ethers', 'helia', 'kubo-rpc-client', 'express', '@openzeppelin/merkle-tree']) {
      expect(graph.packages.has(name), name).to.equal(false);
    }
  });

  describe('what the device loads when it starts (issue 17: ≤ 60 MB)', function () {
    const device = deviceGraph();
    const reached = [...device.files].map((file) => relative(ROOT, file));

    it('reaches the collector, the validators and the transport (the walk works)', function () {
      expect(reached).to.include.members([
        'agent/src/collect/createCollector.ts',
        'agent/src/validate/validators.ts',
        'agent/src/transport/mqttPublisher.ts',
      ]);
    });

    it(`uses only ${DEVICE_PACKAGES.join(', ')} besides Node built-ins: no zod, no ajv`, function () {
      const outside = [...device.packages.entries()].filter(([name]) => !DEVICE_PACKAGES.includes(name));
      expect(outside, `loaded by the device: ${JSON.stringify(outside)}`).to.deep.equal([]);
    });

    it('reaches no zod schema module of twin-core, nor the agent\'s zod config schema', function () {
      const schemaModules = reached.filter((file) => /Schema\.ts$|\/schema\.ts$|messages\/(snapshot|telemetry|behaviour|probe|envelope|command)\.ts$/.test(file));
      expect(schemaModules).to.deep.equal([]);
    });

    it('loads the simulator only for `simulate`', function () {
      expect(reached.filter((file) => file.startsWith('agent/src/simulate/') || file.endsWith('runSimulator.ts'))).to.deep.equal([]);
      expect([...device.lazy]).to.include('agent/src/runSimulator.ts');
    });
  });

  it('declares exactly what it imports in agent/package.json', function () {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      engines: { node: string };
    };
    expect(Object.keys(manifest.dependencies).sort()).to.deep.equal([...graph.packages.keys()].sort());
    expect(manifest.engines.node).to.equal('>=18');
  });
});
