import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../helpers/brokers';

const ROOT = join(__dirname, '..', '..');
const HARDHAT = join(ROOT, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js');
/** A line of a printed stack trace. */
const STACK_LINE = /^\s+at .+[(:]\d+/m;

/**
 * Runs `hardhat <args>` as a user would, in an environment Hardhat takes for CI (`CI=true`, Linux without a display:
 * it then prints every error's stack by default).
 */
function hardhat(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...extra };
  for (const key of [
    'FORCE_COLOR',
    'DISPLAY',
    'WAYLAND_DISPLAY',
    'HARDHAT_NETWORK',
    'RPC_URL',
    'PRIVATE_KEY',
    'CHAIN_ID',
  ]) {
    if (!(key in extra)) delete env[key];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('Hardhat tasks from the command line: errors without stack traces, even where Hardhat sees CI', function () {
  this.timeout(120_000);

  it("a task's error: its message and the --show-stack-traces hint, exit 1", async function () {
    const { code, output } = await hardhat(['show-twin', '--network', 'localhost', '--device', 'my-pi']);
    expect(code).to.equal(1);
    expect(output).to.include('Error in plugin twin-registry: --device must be a DeviceID');
    expect(output).to.include('For more info run hardhat with --show-stack-traces');
    expect(output).to.not.match(STACK_LINE);
  });

  it("Hardhat's own error (a parameter without its value)", async function () {
    const { code, output } = await hardhat(['show-twin', '--network', 'localhost', '--device']);
    expect(code).to.equal(1);
    expect(output).to.include('HH306');
    expect(output).to.not.match(STACK_LINE);
  });

  it('a bad variable of the environment, named', async function () {
    const { code, output } = await hardhat(['show-twin', '--network', 'localhost', '--device', '1'], {
      LOCAL_RPC_URL: '127.0.0.1:8545',
    });
    expect(code).to.equal(1);
    expect(output).to.match(/LOCAL_RPC_URL: must be an http\(s\) or ws\(s\) URL \(got "127\.0\.0\.1:8545"\)/);
    expect(output).to.not.match(STACK_LINE);
  });

  it('a chain that does not answer: the URL tried and LOCAL_RPC_URL named', async function () {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, output } = await hardhat(['show-twin', '--network', 'localhost', '--device', '1'], {
      LOCAL_RPC_URL: url,
    });
    expect(code).to.equal(1);
    expect(output).to.include(`Cannot reach the chain of --network localhost at ${url}: is it running?`);
    expect(output).to.include('LOCAL_RPC_URL');
    expect(output).to.not.match(STACK_LINE);
  });

  it('--show-stack-traces still shows the stack', async function () {
    const { code, output } = await hardhat([
      '--show-stack-traces',
      'show-twin',
      '--network',
      'localhost',
      '--device',
      'my-pi',
    ]);
    expect(code).to.equal(1);
    expect(output).to.match(STACK_LINE);
  });
});
