import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/spawnEntry';

/** The built agent: its CLI and its footprint benchmark. */
export const BUILT_AGENT = {
  cli: join(REPO_ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js'),
  snapshotBench: join(REPO_ROOT, 'agent', 'dist', 'agent', 'bench', 'snapshot.js'),
} as const;

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Runs `npm run build:agent` when the built agent is missing or older than its sources (agent/src, agent/bench,
 * twin-core/src); returns whether it built.
 *
 * @example
 * ensureAgentBuilt() // false: agent/dist is up to date
 */
export function ensureAgentBuilt(): boolean {
  const sources = ['agent/src', 'agent/bench', 'twin-core/src'].map((dir) => newestSource(join(REPO_ROOT, dir)));
  const oldest = Math.min(...Object.values(BUILT_AGENT).map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
  if (oldest >= Math.max(...sources)) return false;
  const build = spawnSync('npm', ['run', 'build:agent'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0)
    throw new Error(`npm run build:agent failed:\n${(build.stdout + build.stderr).slice(-2_000)}`);
  return true;
}
