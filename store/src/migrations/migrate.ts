import type { ClientBase } from 'pg';
import { StoreError } from '../errors';
import { runQuery } from '../pool/runQuery';
import { STORE_MIGRATIONS, type StoreMigration } from './migrations';

/** The advisory lock that serialises every process migrating one database (any 64-bit constant of ours). */
export const MIGRATION_LOCK_KEY = 7_361_001_500n;

/** What {@link migrate} did. */
export type MigrateResult = {
  /** The version before and after. */
  from: number;
  to: number;
  /** The versions this call applied (none when another process had, or the schema was current). */
  applied: number[];
};

const SCHEMA_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies every migration above the database's version, each in its own transaction with its row in
 * `schema_version`, under `pg_advisory_xact_lock` so that processes starting at once apply each migration once.
 * Refuses a database whose schema is newer than `migrations` (naming both versions), or whose recorded migration
 * names differ from the code's (another schema in this database).
 *
 * @example
 * const { from, to } = await migrate(client)
 */
export async function migrate(
  client: ClientBase,
  migrations: readonly StoreMigration[] = STORE_MIGRATIONS,
): Promise<MigrateResult> {
  checkMigrations(migrations);
  const applied: number[] = [];
  let from: number | undefined;
  for (;;) {
    await runQuery(client, 'BEGIN');
    try {
      await runQuery(client, 'SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      await runQuery(client, SCHEMA_VERSION_TABLE);
      const current = await checkRecorded(client, migrations);
      from ??= current;
      const next = migrations[current];
      if (next === undefined) {
        await runQuery(client, 'COMMIT');
        return { from, to: current, applied };
      }
      await runQuery(client, next.sql);
      await runQuery(client, 'INSERT INTO schema_version (version, name) VALUES ($1, $2)', [next.version, next.name]);
      await runQuery(client, 'COMMIT');
      applied.push(next.version);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

/**
 * The database's schema version, checked against `migrations`: a newer one, or an older one when `exact`, is
 * refused with both versions named. 0 for a database the store never migrated.
 *
 * @example
 * await checkSchemaVersion(client, STORE_MIGRATIONS, { exact: true })
 */
export async function checkSchemaVersion(
  client: ClientBase,
  migrations: readonly StoreMigration[] = STORE_MIGRATIONS,
  options: { exact?: boolean } = {},
): Promise<number> {
  const { rows } = await runQuery<{ present: boolean }>(
    client,
    `SELECT to_regclass('schema_version') IS NOT NULL AS present`,
  );
  const current = rows[0]?.present ? await checkRecorded(client, migrations) : 0;
  if (options.exact && current < migrations.length) {
    throw new StoreError(`The store's database is older than this code.`, {
      details: `the database is at schema version ${current}; this code needs version ${migrations.length} (start a process that migrates)`,
    });
  }
  return current;
}

async function checkRecorded(client: ClientBase, migrations: readonly StoreMigration[]): Promise<number> {
  const { rows } = await runQuery<{ version: number; name: string }>(
    client,
    'SELECT version, name FROM schema_version ORDER BY version',
  );
  const current = rows.length === 0 ? 0 : rows[rows.length - 1]!.version;
  if (current > migrations.length) {
    throw new StoreError(`The store's database is newer than this code.`, {
      details: `the database is at schema version ${current}; this code knows versions up to ${migrations.length} (upgrade the code, or use another database)`,
    });
  }
  for (const row of rows) {
    const expected = migrations[row.version - 1];
    if (expected === undefined || expected.name !== row.name || row.version !== rows.indexOf(row) + 1) {
      throw new StoreError(`The store's database holds another schema.`, {
        details: `schema_version ${row.version} is "${row.name}"; this code's is "${expected?.name ?? 'none'}"`,
      });
    }
  }
  return current;
}

function checkMigrations(migrations: readonly StoreMigration[]): void {
  migrations.forEach((migration, position) => {
    if (migration.version !== position + 1) {
      throw new StoreError('The store migrations are out of order.', {
        details: `migration "${migration.name}" is version ${migration.version}, expected ${position + 1}`,
      });
    }
  });
}
