import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { IndexError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';

/** The oracle's open index database: the connection, cached prepared statements and transactions. */
export type Index = {
  /** The database file (`:memory:` for a throw-away index). */
  readonly file: string;
  /** The raw connection, for what the repository functions do not cover. */
  readonly db: DatabaseSync;
  /** The schema version after migrating. */
  readonly schemaVersion: number;
  /** A prepared statement for `sql`, prepared once per connection and reused. */
  statement(sql: string): StatementSync;
  /**
   * Runs `work` in a transaction (a savepoint when nested) and commits it, or rolls back everything it wrote when it
   * throws. `work` must be synchronous: the connection is, and an await inside would let other writes interleave.
   */
  transaction<T>(work: () => T): T;
  /** Whether {@link close} has not been called yet. */
  readonly isOpen: boolean;
  close(): void;
};

/** Options of {@link openIndex}. */
export type OpenIndexOptions = {
  /** Migrations to apply (default: all of {@link MIGRATIONS}); tests pass a prefix to build an older database. */
  migrations?: readonly Migration[];
  /** How long a write waits for another connection's lock, ms (default 5,000). */
  busyTimeoutMs?: number;
  /**
   * `FULL` (default) syncs the WAL on every commit; `NORMAL` syncs at checkpoints only: faster, and after a power
   * loss the last commits may be missing, though the database stays consistent.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Memory for SQLite's page cache, MiB (default 64; SQLite's own default is 2). With thousands of devices the rows
   * written per second (latest telemetry, readings, ledger) spread over far more pages than 2 MiB hold.
   */
  cacheMiB?: number;
};

/**
 * Opens (creating it and its directory if needed) the index database: WAL journal, foreign keys enforced, and
 * every pending forward migration applied, each in its own transaction with its row in `schema_version`.
 * Reopening an up-to-date database changes nothing.
 *
 * @example
 * const index = openIndex(join(dataDir, 'index.sqlite'))
 * try { upsertTwin(index, twin) } finally { index.close() }
 */
export function openIndex(file: string, options: OpenIndexOptions = {}): Index {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrations(migrations);
  const inMemory = file === ':memory:';
  let db: DatabaseSync;
  try {
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 5_000 });
  } catch (error) {
    throw new IndexError('Cannot open the index database.', { details: `${file}: ${String(error)}`, cause: error });
  }
  try {
    if (!inMemory) {
      const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
      if (mode !== 'wal') throw new IndexError('The index database refused WAL mode.', { details: `${file}: ${mode}` });
    }
    const cacheKiB = Math.round((options.cacheMiB ?? 64) * 1024);
    db.exec(
      `PRAGMA foreign_keys = ON; PRAGMA synchronous = ${
        options.synchronous ?? 'FULL'
      }; PRAGMA cache_size = -${cacheKiB};`,
    );
    const statements = new Map<string, StatementSync>();
    let depth = 0;
    let open = true;
    const index: Index = {
      file,
      db,
      schemaVersion: 0,
      statement(sql) {
        let prepared = statements.get(sql);
        if (prepared === undefined) {
          prepared = db.prepare(sql);
          statements.set(sql, prepared);
        }
        return prepared;
      },
      transaction<T>(work: () => T): T {
        const savepoint = `nested_${depth}`;
        db.exec(depth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
        depth += 1;
        let result: T;
        try {
          result = work();
          if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
            throw new IndexError('An index transaction must be synchronous.', {
              details: 'the work function returned a promise; await before the transaction, not inside it',
            });
          }
        } catch (error) {
          depth -= 1;
          db.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
          throw error;
        }
        depth -= 1;
        try {
          db.exec(depth === 0 ? 'COMMIT' : `RELEASE ${savepoint}`);
        } catch (error) {
          if (depth === 0 && db.isTransaction) db.exec('ROLLBACK');
          throw error;
        }
        return result;
      },
      get isOpen() {
        return open;
      },
      close() {
        if (!open) return;
        open = false;
        statements.clear();
        db.close();
      },
    };
    (index as { schemaVersion: number }).schemaVersion = migrate(index, migrations);
    return index;
  } catch (error) {
    db.close();
    throw error;
  }
}

function checkMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((migration, position) => {
    if (migration.version !== position + 1) {
      throw new IndexError('The index migrations are out of order.', {
        details: `migration "${migration.name}" is version ${migration.version}, expected ${position + 1}`,
      });
    }
  });
}

/** Applies every migration above the database's version; returns the version reached. */
function migrate(index: Index, migrations: readonly Migration[]): number {
  index.db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const { version: current } = index.db
    .prepare('SELECT coalesce(max(version), 0) AS version FROM schema_version')
    .get() as {
    version: number;
  };
  const latest = migrations.length;
  if (current > latest) {
    throw new IndexError('The index database is newer than this oracle.', {
      details: `${index.file} is at schema version ${current}; this oracle knows versions up to ${latest}`,
    });
  }
  for (const migration of migrations.slice(current)) {
    index.transaction(() => {
      index.db.exec(migration.sql);
      index.db
        .prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.name, Date.now());
    });
  }
  return Math.max(current, latest);
}
