import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What {@link clearStalePostmaster} found in the data directory. */
export type StalePostmaster = 'none' | 'removed' | 'running';

/**
 * Looks at the data directory's `postmaster.pid` before a start. A file whose process is gone, or is not a PostgreSQL
 * server of this directory (a PID reused after a kill), is removed: PostgreSQL itself refuses to start while the PID
 * in it is alive. A server of this directory still running (its parent was killed) is reported `running`.
 *
 * @example
 * if (clearStalePostmaster(dataDir) === 'running') await stopLeftoverServer(dataDir)
 */
export function clearStalePostmaster(dataDir: string): StalePostmaster {
  const pidFile = join(dataDir, 'postmaster.pid');
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return 'none';
  if (isServerOf(pid, dataDir)) return 'running';
  rmSync(pidFile, { force: true });
  return 'removed';
}

/**
 * The PID in the data directory's `postmaster.pid`, or undefined when there is none (or it is unreadable).
 *
 * @example
 * const pid = postmasterPid(dataDir)
 */
export function postmasterPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Stops a server of `dataDir` left running by a killed parent (SIGINT: fast shutdown, then SIGKILL after
 * `timeoutMs`), and waits until its PID is gone.
 *
 * @example
 * await stopLeftoverServer(dataDir)
 */
export async function stopLeftoverServer(dataDir: string, timeoutMs = 15_000): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isServerOf(pid, dataDir)) return;
  signal(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      await new Promise((done) => setTimeout(done, 200));
      break;
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
}

function isServerOf(pid: number, dataDir: string): boolean {
  if (!alive(pid)) return false;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false; // no /proc: cannot tell; treat as not ours, so the stale file goes
  }
  const dir = args[args.indexOf('-D') + 1];
  return /postgres$/.test(args[0] ?? '') && dir !== undefined && resolve(dir) === resolve(dataDir);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
