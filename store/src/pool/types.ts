import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';

/**
 * A statement: plain SQL, or SQL with a `name`, prepared once per connection and reused (what the hot queries use;
 * a name must always go with the same text).
 */
export type Statement = string | { name: string; text: string };

/** What runs queries: the store (each query on any pooled connection) or one transaction (its connection). */
export type Queryable = {
  readonly kind: 'store' | 'transaction';
  /** Runs one statement with `$1…` values; a failure is thrown as a StoreError with its SQL state. */
  query<row extends QueryResultRow = Record<string, unknown>>(
    statement: Statement,
    values?: readonly unknown[],
  ): Promise<QueryResult<row>>;
};

/** Settings a store runs its transactions with. */
export type TransactionSettings = {
  /** A statement running longer is cancelled, ms (0: no limit). */
  statementTimeoutMs: number;
  /** A transaction idle longer between statements is ended by the server, ms (0: no limit). */
  idleInTransactionTimeoutMs: number;
  /** Attempts of a transaction that hits a serialization failure or deadlock, in all. */
  transactionAttempts: number;
};

/** An open store: a pool of connections to one PostgreSQL database whose schema is at this code's version. */
export type Store = Queryable & {
  readonly kind: 'store';
  readonly pool: Pool;
  /** The connection string, password redacted. */
  readonly url: string;
  /** `server_version_num` of the server, e.g. 150014 or 180004. */
  readonly serverVersion: number;
  /** The schema version of the database (the code's: an older or newer database is refused at open). */
  readonly schemaVersion: number;
  readonly settings: TransactionSettings;
  /** Ends every connection (and stops the embedded server when the store started it). Calling again does nothing. */
  close(): Promise<void>;
};

/** One transaction on one connection, as {@link withTransaction} hands it to its work. */
export type Transaction = Queryable & {
  readonly kind: 'transaction';
  readonly client: PoolClient;
  readonly store: Store;
};
