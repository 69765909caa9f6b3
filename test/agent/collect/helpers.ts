import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkInterfaceInfo } from 'node:os';
import type { CollectOptions, SystemPaths } from '../../../agent/src/collect/context';

/** The fixture trees: `pi4` (a Raspberry Pi 4 by hand), `pi4-next` (the files that changed 5 s later), `linux-vm` (captured). */
export const FIXTURES = join(__dirname, '..', 'fixtures');

/** The four roots of a fixture tree. */
export function fixturePaths(tree: string): SystemPaths {
  const root = join(FIXTURES, tree);
  return { proc: join(root, 'proc'), sys: join(root, 'sys'), etc: join(root, 'etc'), dev: join(root, 'dev') };
}

/** A fixture file's text. */
export function fixture(tree: string, file: string): string {
  return readFileSync(join(FIXTURES, tree, file), 'utf8');
}

/** What os.networkInterfaces() would say on the Pi of the fixture. */
export const PI4_INTERFACES: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [
    {
      address: '127.0.0.1',
      netmask: '255.0.0.0',
      family: 'IPv4',
      mac: '00:00:00:00:00:00',
      internal: true,
      cidr: '127.0.0.1/8',
    },
  ],
  eth0: [
    {
      address: '192.168.1.40',
      netmask: '255.255.255.0',
      family: 'IPv4',
      mac: 'dc:a6:32:0a:1b:2c',
      internal: false,
      cidr: '192.168.1.40/24',
    },
    {
      address: 'fe80::dea6:32ff:fe0a:1b2c',
      netmask: 'ffff:ffff:ffff:ffff::',
      family: 'IPv6',
      mac: 'dc:a6:32:0a:1b:2c',
      internal: false,
      cidr: 'fe80::dea6:32ff:fe0a:1b2c/64',
      scopeid: 2,
    },
  ],
};

/** Collector options for a fixture tree, with a controllable clock and no external commands. */
export function fixtureOptions(
  tree: string,
  overrides: Partial<CollectOptions> = {},
): CollectOptions & { clock: { ms: number } } {
  const clock = { ms: Date.parse('2026-11-21T10:00:00.000Z') };
  return {
    paths: fixturePaths(tree),
    probeTimeoutMs: 2000,
    commandTimeoutMs: 1000,
    processLimit: 100,
    socketLimit: 100,
    sharedLibrariesProcessLimit: 2,
    kernelLogLines: 100,
    tlsServers: [],
    sensorPlugins: [],
    owner: { ownerId: 'owner-42', location: { latitude: 48.8566, longitude: 2.3522 } },
    now: () => clock.ms,
    host: {
      machine: () => 'armv7l',
      networkInterfaces: () => PI4_INTERFACES,
      runCommand: (file) => Promise.reject(new Error(`${file} is not installed`)),
    },
    clock,
    ...overrides,
  };
}

/** A writable copy of a fixture tree (so a test can lay the `pi4-next` files over it); removed by `dispose`. */
export function copyTree(tree: string): {
  root: string;
  paths: SystemPaths;
  overlay(next: string): void;
  dispose(): void;
} {
  const root = mkdtempSync(join(tmpdir(), `collect-${tree}-`));
  cpSync(join(FIXTURES, tree), root, { recursive: true, verbatimSymlinks: true });
  return {
    root,
    paths: { proc: join(root, 'proc'), sys: join(root, 'sys'), etc: join(root, 'etc'), dev: join(root, 'dev') },
    overlay: (next) => cpSync(join(FIXTURES, next), root, { recursive: true, force: true }),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
