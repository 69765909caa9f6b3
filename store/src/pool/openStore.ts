import pg from 'pg';
import { StoreError, redactUrl, wrapPgError } from '../errors';
import { checkSchemaVersion, migrate } from '../migrations/migrate';
import { STORE_MIGRATIONS, type StoreMigration } from '../migrations/migrations';
import { runQuery } from './runQuery';
import type { Store } from './types';

/** The oldest PostgreSQL the store runs on (`server_version_num`). */
export const MIN_SERVER_VERSION = 150000;

/** Options of {@link openStore}. Defaults as in the store config (config.ts). */
export type OpenStoreOptions = {
  /** `postgres://user:password@host:port/database`. */
  databaseUrl: string;
  /** Connections at most (default 10). */
  poolSize?: number;
  /**
   * Session `statement_timeout`, and each transaction's, ms (default 30,000; 0 no limit). Above 0, each query is also
   * bounded client-side at this + {@link QUERY_TIMEOUT_MARGIN_MS} (pg `query_timeout`), for a silent partition.
   */
  statementTimeoutMs?: number;
  /** Session `idle_in_transaction_session_timeout`, ms (default 60,000; 0 no limit). */
  idleInTransactionTimeoutMs?: number;
  /** Waiting for a connection longer fails, ms (default 10,000). */
  connectTimeoutMs?: number;
  /** Attempts of a transaction on serialization failure or deadlock (default 5). */
  transactionAttempts?: number;
  /** `migrate` (default): apply pending migrations; `check`: refuse a database not at the code's version. */
  schema?: 'migrate' | 'check';
  /** Migrations (default all); tests pass a prefix to build an older database. */
  migrations?: readonly StoreMigration[];
  /** The oldest `server_version_num` accepted (default {@link MIN_SERVER_VERSION}: PostgreSQL 15). */
  minServerVersion?: number;
  /** `application_name` shown in `pg_stat_activity` (default `twin-store`). */
  applicationName?: string;
  /** Called with errors of idle connections (a server restart); default: ignored, the pool reconnects. */
  onIdleError?: (error: StoreError) => void;
  /** Run by {@link Store.close} after the pool has ended (e.g. stopping an embedded server). */
  onClose?: () => Promise<void>;
};

const INT8 = 20;
/** The client-side bound on a query is the statement timeout plus this, ms: the server's own bound fires first. */
export const QUERY_TIMEOUT_MARGIN_MS = 5_000;

/**
 * Connects to PostgreSQL, refuses a server older than 15 (naming its version), migrates the schema (or checks it)
 * and returns the store: a pool whose sessions bound each statement and idle transaction. `bigint` columns come back
 * as numbers (the schema keeps wei amounts in `numeric`, returned as text).
 *
 * @example
 * const store = await openStore({ databaseUrl: process.env.DATABASE_URL!, poolSize: 20 })
 * try { await insertSnapshot(store, snapshot) } finally { await store.close() }
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = redactUrl(options.databaseUrl);
  const password = passwordOf(options.databaseUrl);
  const secrets = password === '' ? [] : [password, encodeURIComponent(password)];
  const settings = {
    statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 60_000,
    transactionAttempts: options.transactionAttempts ?? 5,
  };
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: settings.statementTimeoutMs,
    // A silent partition (no RST) must not hold a pool slot until the kernel gives up (~15 min): TCP keepalives, and
    // a client-side bound on each query a little above the server's (which cannot fire when the server is cut off).
    keepAlive: true,
    ...(settings.statementTimeoutMs > 0
      ? { query_timeout: settings.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS }
      : {}),
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
    application_name: options.applicationName ?? 'twin-store',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (error) =>
    options.onIdleError?.(wrapPgError(error, 'An idle database connection failed.', secrets)),
  );
  let client: pg.PoolClient | undefined;
  try {
    try {
      client = await pool.connect();
    } catch (error) {
      throw wrapPgError(error, `Cannot connect to PostgreSQL at ${url}.`, secrets);
    }
    const { rows } = await runQuery<{ v: string }>(client, "SELECT current_setting('server_version_num') AS v");
    const serverVersion = Number(rows[0]?.v);
    const minimum = options.minServerVersion ?? MIN_SERVER_VERSION;
    if (!(serverVersion >= minimum)) {
      throw new StoreError('The PostgreSQL server is too old for the store.', {
        details: `${url} runs server_version_num ${rows[0]?.v}; the store needs ${minimum} (PostgreSQL ${Math.floor(
          minimum / 10_000,
        )}) or later`,
      });
    }
    const migrations = options.migrations ?? STORE_MIGRATIONS;
    const schemaVersion =
      options.schema === 'check'
        ? await checkSchemaVersion(client, migrations, { exact: true })
        : (await migrate(client, migrations)).to;
    client.release();
    client = undefined;
    let closing: Promise<void> | undefined;
    const store: Store = {
      kind: 'store',
      pool,
      url,
      serverVersion,
      schemaVersion,
      settings,
      query: (statement, values) => runQuery(pool, statement, values, secrets),
      close() {
        closing ??= (async () => {
          await pool.end();
          await options.onClose?.();
        })();
        return closing;
      },
    };
    return store;
  } catch (error) {
    client?.release(true);
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/**
 * The password of a connection URL (decoded), '' without one: what error messages must not show.
 *
 * @example
 * wrapPgError(error, 'Cannot connect.', [passwordOf(url)])
 */
export function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
