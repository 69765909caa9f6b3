import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ORACLE_BUNDLE_FILE, ORACLE_NODE_FLAGS } from '../../oracle/build/bundleCli';
import { ensureBuilt } from '../../scripts/ensureBuilt';

const ROOT = resolve(__dirname, '..', '..');

/** An oracle run as `npm run oracle` runs it (the bundled `oracle/dist/cli.js`), in a process group of its own. */
export type OracleProcess = { child: ChildProcess; output: () => string };

/**
 * Starts the oracle's CLI with `env` (stderr, its JSON log lines, kept in `output()`) as `npm run oracle` does: the
 * bundle of oracle/build/bundleCli.ts (built first when missing or stale) on this Node with the oracle's V8 flags.
 *
 * @example
 * const oracle = startOracleProcess(harness.oracleEnvironment(broker.url))
 */
export function startOracleProcess(env: Record<string, string>): OracleProcess {
  ensureBuilt(['oracle']);
  const child = spawn(process.execPath, [...ORACLE_NODE_FLAGS, ORACLE_BUNDLE_FILE], {
    cwd: ROOT,
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/**
 * Signals the oracle's whole process group and waits until every process in it has exited (npx exits first; the
 * oracle's Node process may still be stopping and writing its last log lines).
 */
export async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  await new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
    child.once('exit', () => resolveExit());
    try {
      process.kill(-child.pid!, signal);
    } catch {
      resolveExit();
    }
  });
  const deadline = Date.now() + 30_000;
  while (groupPids(child).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The processes of the oracle's group (Node running the oracle, and any child it started). */
function groupPids(child: ChildProcess): string[] {
  const pids: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // Field 5 of /proc/<pid>/stat, after the parenthesised command name, is the process group; field 3 the state.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(group) === child.pid && state !== 'Z') pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * The memory of the processes in the oracle's group: the largest resident set now and at its peak (`VmRSS`,
 * `VmHWM` of `/proc/<pid>/status`), bytes.
 */
export function groupMemory(child: ChildProcess): { rssBytes: number; peakBytes: number } {
  let rssBytes = 0;
  let peakBytes = 0;
  for (const pid of groupPids(child)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      rssBytes = Math.max(rssBytes, kib('VmRSS'));
      peakBytes = Math.max(peakBytes, kib('VmHWM'));
    } catch {
      // exited meanwhile
    }
  }
  return { rssBytes, peakBytes };
}
