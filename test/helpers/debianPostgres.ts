// A throw-away cluster of the system's PostgreSQL (Debian's `postgresql` package, /usr/lib/postgresql/<major>/bin):
// what the store's tests use as an external server. initdb and postgres refuse root, so as root they run as the
// system user `postgres` (runuser), in a temp directory it owns, on a free port of 127.0.0.1, without a Unix socket.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../store/src';

/** A running system cluster. */
export type SystemCluster = { major: number; port: number; url: string; stop(): Promise<void> };

/**
 * The bin directory of the newest system PostgreSQL ≥ 15 and why it cannot be used (not root, no binaries).
 *
 * @example
 * const { bin, unavailable } = systemPostgres(); if (unavailable) this.skip()
 */
export function systemPostgres(): { bin?: string; major?: number; unavailable?: string } {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .map(Number)
        .filter((major) => major >= 15 && existsSync(join(root, String(major), 'bin', 'initdb')))
        .sort((a, b) => b - a)
    : [];
  if (majors.length === 0) return { unavailable: `no PostgreSQL ≥ 15 under ${root} (apt-get install postgresql)` };
  if (process.getuid?.() !== 0) return { unavailable: 'not root: cannot run initdb as the postgres user' };
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) return { unavailable: 'no system user postgres' };
  return { bin: join(root, String(majors[0]), 'bin'), major: majors[0] };
}

/**
 * Creates and starts a cluster of the system PostgreSQL (see {@link systemPostgres}); `stop()` stops it and removes
 * its directory.
 *
 * @example
 * const cluster = await startSystemCluster(); try { … cluster.url … } finally { await cluster.stop() }
 */
export async function startSystemCluster(): Promise<SystemCluster> {
  const { bin, major, unavailable } = systemPostgres();
  if (unavailable !== undefined) throw new Error(unavailable);
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const base = mkdtempSync(join(tmpdir(), 'store-pg-system-'));
  chmodSync(base, 0o700);
  chownSync(base, uid, gid);
  const dataDir = join(base, 'data');
  const password = `pw${Math.random().toString(36).slice(2)}`;
  const pwfile = join(base, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  const asPostgres = (command: string, args: string[]) => {
    const result = spawnSync('runuser', ['-u', 'postgres', '--', join(bin!, command), ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  let port: number;
  try {
    asPostgres('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '-A',
      'scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    rmSync(pwfile);
    port = await freePort();
    asPostgres('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(base, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`,
      'start',
    ]);
  } catch (error) {
    // Nothing is left behind: a server `pg_ctl -w` gave up waiting for is stopped, the temp directory removed.
    const logFile = join(base, 'log');
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
    try {
      if (existsSync(join(dataDir, 'postmaster.pid')))
        asPostgres('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
    throw new Error(`${(error as Error).message}${log === '' ? '' : `\nserver log: ${log}`}`, { cause: error });
  }
  let stopped = false;
  return {
    major: major!,
    port,
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
