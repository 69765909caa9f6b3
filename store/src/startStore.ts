import pg from 'pg';
import type { StoreConfig } from './config';
import { wrapPgError } from './errors';
import { openStore, passwordOf } from './pool/openStore';
import type { Store } from './pool/types';
import { startEmbeddedServer, type EmbeddedServer } from './server/startEmbeddedServer';

/** The database the embedded server's store uses. */
export const EMBEDDED_DATABASE = 'twin_index';

/**
 * Opens the store its config names: the external server of `databaseUrl`, or else the embedded server under
 * `embeddedDataDir` (started here, database {@link EMBEDDED_DATABASE} created if missing, the server stopped by
 * `store.close()`). The schema is migrated either way.
 *
 * @example
 * const store = await startStore(loadStoreConfig())
 */
export async function startStore(config: StoreConfig): Promise<Store & { server: EmbeddedServer | undefined }> {
  const common = {
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    idleInTransactionTimeoutMs: config.idleInTransactionTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    transactionAttempts: config.transactionAttempts,
  };
  if (config.databaseUrl !== undefined) {
    return Object.assign(await openStore({ databaseUrl: config.databaseUrl, ...common }), { server: undefined });
  }
  const server = await startEmbeddedServer({ dataDir: config.embeddedDataDir, port: config.embeddedPort });
  try {
    await ensureDatabase(server.url, EMBEDDED_DATABASE);
    const store = await openStore({ databaseUrl: server.urlFor(EMBEDDED_DATABASE), ...common, onClose: server.stop });
    return Object.assign(store, { server });
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Creates database `name` on the server of `adminUrl` unless it exists (safe when several processes race).
 *
 * @example
 * await ensureDatabase(server.url, 'twin_index')
 */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount !== 0) return false;
    const from = template === undefined ? '' : ` TEMPLATE ${client.escapeIdentifier(template)}`;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created meanwhile by another process
    throw wrapPgError(error, `Cannot create database ${name}.`, [passwordOf(adminUrl)]);
  } finally {
    await client.end().catch(() => undefined);
  }
}
