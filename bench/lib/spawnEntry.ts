import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The repository root (bench/lib/../..). */
export const REPO_ROOT = join(__dirname, '..', '..');

/** A child Node process running one TypeScript entry, with an IPC channel. */
export type EntryProcess = {
  child: ChildProcess;
  pid: number;
  /** The last 8 KB it wrote on stderr (for error messages). */
  stderrTail(): string;
  /** Resolves with the first IPC message `accept` returns a value for; rejects if the process exits first. */
  waitFor<result>(accept: (message: unknown) => result | undefined, timeoutMs: number, what: string): Promise<result>;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  kill(graceMs?: number): Promise<void>;
};

/** Parameters of {@link spawnEntry}. */
export type SpawnEntryParameters = {
  /** Path of the entry, relative to the repository root: `.ts` (run through ts-node) or plain `.js`. */
  entry: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Extra Node options before the entry (e.g. `--cpu-prof`). */
  nodeOptions?: string[];
  /** Copy the child's stderr to ours with this prefix (BENCH_VERBOSE=1 does it for every child). */
  echoPrefix?: string;
  /** Preload `profilerHook.js`: the child can then be CPU-profiled over a window (`profileWindow`). */
  profiler?: boolean;
  /** The tree to run `entry` from (default this repository): another checkout, to measure it side by side. */
  root?: string;
};

/**
 * Starts `entry` with this Node (the project's Node 24 under npm) and, for a `.ts` entry, ts-node's transpile-only loader, in the
 * repository root, with stdout ignored, stderr kept, and an IPC channel.
 *
 * @example
 * const oracle = spawnEntry({ entry: 'oracle/dist/cli.js', env })
 * await oracle.waitFor((m) => ((m as { type?: string }).type === 'ready' ? m : undefined), 120_000, 'oracle ready')
 */
export function spawnEntry(parameters: SpawnEntryParameters): EntryProcess {
  const child = spawn(
    process.execPath,
    [
      ...(parameters.nodeOptions ?? []),
      ...(parameters.entry.endsWith('.js') ? [] : ['-r', 'ts-node/register/transpile-only']),
      ...(parameters.profiler ? ['-r', join(__dirname, 'profilerHook.js')] : []),
      join(parameters.root ?? REPO_ROOT, parameters.entry),
      ...(parameters.args ?? []),
    ],
    {
      cwd: parameters.root ?? REPO_ROOT,
      env: parameters.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let tail = '';
  const echo = parameters.echoPrefix ?? (process.env.BENCH_VERBOSE === '1' ? `[${parameters.entry}] ` : undefined);
  child.stderr!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8_192);
    if (echo !== undefined)
      process.stderr.write(`${echo}${chunk.toString().trimEnd().split('\n').join(`\n${echo}`)}\n`);
  });
  // Never outlive the benchmark (an interrupted run exits through process.exit).
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', orphan);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    pid: child.pid!,
    stderrTail: () => tail,
    exited,
    waitFor<result>(accept: (message: unknown) => result | undefined, timeoutMs: number, what: string) {
      return new Promise<result>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error(`${parameters.entry} had exited before ${what}:\n${tail.slice(-2_000)}`));
          return;
        }
        const onMessage = (message: unknown) => {
          const accepted = accept(message);
          if (accepted === undefined) return;
          cleanup();
          resolve(accepted);
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          reject(new Error(`${parameters.entry} exited (${code ?? signal}) before ${what}:\n${tail.slice(-2_000)}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${tail.slice(-2_000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
    async kill(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
