// The store's test server: one PostgreSQL per test run (the embedded server, started on first use under the OS temp
// directory, or the external server of STORE_TEST_DATABASE_URL), and a fresh database per test file, copied from a
// migrated template (CREATE DATABASE … TEMPLATE is far faster than migrating each).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  openStore,
  startEmbeddedServer,
  type EmbeddedServer,
  type OpenStoreOptions,
  type Store,
} from '../../store/src';

/** The server the store's tests use. */
export type TestServer = {
  kind: 'embedded' | 'external';
  /** A URL of the server's maintenance database, as a superuser (or a role that may create databases). */
  adminUrl: string;
  /** The URL of database `name` on the server. */
  urlFor(name: string): string;
  /** For the embedded server: how long initdb and the start took, ms. */
  timings?: EmbeddedServer['timings'];
};

/** A database of its own for one test file. */
export type TestDatabase = {
  name: string;
  url: string;
  /** How long creating it took, ms. */
  createdMs: number;
  /** Opens a store on it (closed by the root `after` hook if the test does not). */
  open(options?: Omit<OpenStoreOptions, 'databaseUrl'>): Promise<Store>;
};

const RUN = `${process.pid}_${Date.now().toString(36)}`;
const TEMPLATE = `store_template_${RUN}`;
let server: Promise<TestServer> | undefined;
let embedded: EmbeddedServer | undefined;
let dataDir: string | undefined;
let template: Promise<void> | undefined;
let counter = 0;
const created: string[] = [];
const stores: Store[] = [];

/**
 * The run's server, started on first use.
 *
 * @example
 * const { adminUrl } = await testServer()
 */
export function testServer(): Promise<TestServer> {
  server ??= (async (): Promise<TestServer> => {
    const external = process.env.STORE_TEST_DATABASE_URL;
    if (external !== undefined && external !== '') {
      return { kind: 'external', adminUrl: external, urlFor: (name) => withDatabase(external, name) };
    }
    dataDir = mkdtempSync(join(tmpdir(), 'store-test-'));
    chmodSync(dataDir, 0o711); // as root the server runs as user postgres, which must reach its directory
    embedded = await startEmbeddedServer({ dataDir: join(dataDir, 'pg'), durable: false });
    return { kind: 'embedded', adminUrl: embedded.url, urlFor: embedded.urlFor, timings: embedded.timings };
  })();
  return server;
}

/**
 * A fresh database for one test file: migrated to the code's schema (a copy of the run's template), or `empty`.
 *
 * @example
 * let db: TestDatabase
 * before(async () => { db = await createTestDatabase() })
 * it('…', async () => { const store = await db.open(); … })
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const { adminUrl, urlFor } = await testServer();
  if (!options.empty) {
    template ??= (async () => {
      await adminQuery(adminUrl, `CREATE DATABASE ${TEMPLATE}`);
      created.push(TEMPLATE);
      const store = await openStore({ databaseUrl: urlFor(TEMPLATE), poolSize: 1 });
      await store.close();
    })();
    await template;
  }
  counter += 1;
  const name = `store_test_${RUN}_${counter}`;
  const started = performance.now();
  await adminQuery(adminUrl, `CREATE DATABASE ${name}${options.empty ? '' : ` TEMPLATE ${TEMPLATE}`}`);
  const createdMs = performance.now() - started;
  created.push(name);
  const url = urlFor(name);
  return {
    name,
    url,
    createdMs,
    async open(openOptions = {}) {
      const store = await openStore({ ...openOptions, databaseUrl: url });
      stores.push(store);
      return store;
    },
  };
}

/**
 * Stops what the harness started: every store it opened, the databases on an external server, the embedded server
 * and its directory. The root `after` hook below calls it.
 *
 * @example
 * after(stopTestServer)
 */
export async function stopTestServer(): Promise<void> {
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => undefined)));
  if (server === undefined) return;
  const current = await server.catch(() => undefined);
  server = undefined;
  template = undefined;
  if (current?.kind === 'external') {
    for (const name of created.splice(0).reverse()) {
      await adminQuery(current.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    }
  }
  await embedded?.stop();
  embedded = undefined;
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

/**
 * Runs one statement on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction).
 *
 * @example
 * await adminQuery(adminUrl, 'DROP DATABASE IF EXISTS x')
 */
export async function adminQuery(adminUrl: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

// A root-level hook when mocha loaded this file: the run's server stops after the last test.
if (typeof after === 'function') after(stopTestServer);
