import { join } from 'node:path';
import { ensureBuilt } from '../../scripts/ensureBuilt';
import { REPO_ROOT } from '../lib/spawnEntry';

/** The built agent: its CLI and its footprint benchmark. */
export const BUILT_AGENT = {
  cli: join(REPO_ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js'),
  snapshotBench: join(REPO_ROOT, 'agent', 'dist', 'agent', 'bench', 'snapshot.js'),
} as const;

/**
 * Builds the agent (`agent/dist`) when it is missing or stale (scripts/ensureBuilt.js); returns whether it built.
 *
 * @example
 * ensureAgentBuilt() // false: agent/dist is up to date
 */
export function ensureAgentBuilt(): boolean {
  return ensureBuilt(['agent'], { root: REPO_ROOT }).length > 0;
}
