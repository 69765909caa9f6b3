/**
 * `npm run spec`: compiles the contracts if needed (the npm script runs `hardhat compile` first), then writes every
 * generated file of `spec/` (AsyncAPI document, JSON Schemas, test vectors, ABIs and their guide, the README's
 * tables). `-- --check` writes nothing and exits 1 when a file is stale, naming it.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { buildSpecFiles, SPEC_DIR } from './buildSpecFiles';

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const files = await buildSpecFiles();
  const stale: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const file = join(SPEC_DIR, path);
    if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
    stale.push(path);
    if (check) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  if (check) {
    if (stale.length > 0) process.stderr.write(`spec: stale (run npm run spec): ${stale.join(', ')}\n`);
    return stale.length > 0 ? 1 : 0;
  }
  process.stdout.write(
    stale.length > 0
      ? `spec: wrote ${stale.join(', ')}\n`
      : `spec: all ${Object.keys(files).length} files up to date\n`,
  );
  return 0;
}

assertNodeVersion(22, 'The spec generator');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `spec: ${error instanceof BaseError ? error.message : (error as Error).stack ?? String(error)}\n`,
    );
    process.exit(error instanceof BaseError ? 2 : 1);
  },
);
