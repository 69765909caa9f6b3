import { execFile } from 'node:child_process';
import type { CollectOptions } from './context';
import { errorMessage } from './read';

/** Runs an external command; resolves its standard output. */
export type CommandRunner = (file: string, args: string[], timeoutMs: number) => Promise<string>;

/**
 * Runs `file` with `args` through child_process.execFile (no shell) and a timeout. Rejects with a readable reason:
 * `dmesg is not installed`, `resolvectl timed out after 2000 ms`, `resolvectl failed: <its stderr>`.
 *
 * @example
 * const stdout = await runCommand('resolvectl', ['statistics'], 2000)
 */
export const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (!error) return resolve(String(stdout));
        const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (failure.code === 'ENOENT') return reject(new Error(`${file} is not installed`));
        if (failure.killed || failure.signal === 'SIGTERM') {
          return reject(new Error(`${file} timed out after ${timeoutMs} ms`));
        }
        const detail = String(stderr).trim().split('\n')[0] || errorMessage(error);
        reject(new Error(`${file} failed: ${detail}`));
      },
    );
  });

/** The command runner of these options: the host hook in tests, {@link runCommand} on a device. */
export function commandRunner(options: CollectOptions): CommandRunner {
  return options.host?.runCommand ?? runCommand;
}
