import { spawn, type SpawnOptions } from 'node:child_process';

/** What a finished child process said. */
export type ProcessOutput = { code: number | null; stdout: string; stderr: string };

/**
 * Runs a command to its end and collects its exit code and output (`input`, when given, is written to its stdin).
 *
 * @example
 * const { code, stdout } = await runProcess('npx', ['ts-node', '-T', 'oracle/src/checkMessageCli.ts', '--help'], { cwd: ROOT })
 */
export function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions & { input?: string } = {},
): Promise<ProcessOutput> {
  const { input, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(input ?? '');
  });
}
