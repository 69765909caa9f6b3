import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { HardhatPluginError } from 'hardhat/plugins';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { exampleDocuments } from '../fixtures';

/** Runs a task and expects it to fail with a HardhatPluginError whose message contains every fragment. */
export async function expectTaskError(promise: Promise<unknown>, ...fragments: string[]): Promise<HardhatPluginError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'the task should have failed').to.be.instanceOf(HardhatPluginError);
  const error = caught as HardhatPluginError;
  for (const fragment of fragments) expect(error.message).to.include(fragment);
  return error;
}

/**
 * Expects a task to fail on a contract revert, named and with exactly these arguments. Accepts both the ABI-decoded
 * form (`Name(0xAbC…, 1)`) and the in-process node's own (`reverted with custom error 'Name("0xAbC…", 1)'`).
 * With no arguments given, only the name is checked.
 */
export async function expectRevert(promise: Promise<unknown>, name: string, ...args: (string | number | bigint)[]) {
  const error = await expectTaskError(promise, `${name}(`);
  if (args.length > 0) {
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const list = args.map((arg) => `"?${escape(String(arg))}"?`).join(',\\s*');
    expect(error.message).to.match(new RegExp(`${escape(name)}\\(${list}\\)`));
  }
  return error;
}

export const examples = exampleDocuments();
/** An example static document by name, with its DeviceID. */
export function example(name: string) {
  const found = examples.find((candidate) => candidate.file.endsWith(`${name}.json`));
  if (found === undefined) throw new Error(`no example ${name}`);
  return { ...found, deviceId: formatDeviceId(computeDeviceId(found.document.identity)) };
}

/**
 * The environment every task test runs in: console output captured (returned by `logged()`), deployment files under
 * a temporary DEPLOYMENTS_DIR; both restored afterwards. Call inside a `describe`.
 */
export function useTaskEnvironment(): { logged: () => string[]; deploymentsDir: () => string } {
  const originalLog = console.log;
  const originalDeploymentsDir = process.env.DEPLOYMENTS_DIR;
  let logged: string[] = [];
  let deploymentsDir = '';
  before(function () {
    deploymentsDir = mkdtempSync(join(tmpdir(), 'twin-tasks-'));
    process.env.DEPLOYMENTS_DIR = deploymentsDir;
    logged = [];
    console.log = (...parts: unknown[]) => {
      logged.push(parts.map(String).join(' '));
    };
  });
  after(function () {
    console.log = originalLog;
    if (originalDeploymentsDir === undefined) delete process.env.DEPLOYMENTS_DIR;
    else process.env.DEPLOYMENTS_DIR = originalDeploymentsDir;
    rmSync(deploymentsDir, { recursive: true, force: true });
  });
  return { logged: () => logged, deploymentsDir: () => deploymentsDir };
}
