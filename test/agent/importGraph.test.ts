import { expect } from 'chai';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY_POINTS = ['agent/src/cli.ts', 'agent/src/index.ts', 'agent/src/device/signerWorker.ts'];
/** What the agent may depend on: small pure-JavaScript packages only. */
const ALLOWED_PACKAGES = ['mqtt', 'zod', '@noble/hashes', '@noble/curves'];
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

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
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
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

  it('declares exactly what it imports in agent/package.json', function () {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      engines: { node: string };
    };
    expect(Object.keys(manifest.dependencies).sort()).to.deep.equal([...graph.packages.keys()].sort());
    expect(manifest.engines.node).to.equal('>=18');
  });
});
