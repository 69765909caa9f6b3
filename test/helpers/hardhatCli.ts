import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The repository root, where `npx hardhat` runs. */
export const ROOT = join(__dirname, '..', '..');
/** How long one CLI command may take before it is killed. */
export const COMMAND_TIMEOUT_MS = 120_000;

/** The environment of the child processes: ours, without anything that would pick another network. */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const key of ['HARDHAT_NETWORK', 'RPC_URL', 'PRIVATE_KEY', 'CHAIN_ID']) delete environment[key];
  return { ...environment, ...extra };
}

/** What a finished CLI command printed and its exit code. */
export type CliResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs `npx hardhat <args>` to completion (bounded by {@link COMMAND_TIMEOUT_MS}), in its own process group.
 *
 * @example
 * const { code, stdout } = await hardhat(['show-twin', '--network', 'localhost', '--device', id], env)
 */
export async function hardhat(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['hardhat', ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`npx hardhat ${args.join(' ')} took over ${COMMAND_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, COMMAND_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Signals a child's whole process group (it was spawned detached); nothing when it already exited. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** The value printed on `key`'s line of show-twin's or show-entity's output. */
export function field(output: string, key: string): string | undefined {
  return new RegExp(`^${key}\\s+(\\S+)\\s*$`, 'm').exec(output)?.[1];
}
