import { RETRYABLE_SQL_STATES, StoreError, wrapPgError } from '../errors';
import { runQuery } from './runQuery';
import type { Queryable, Store, Transaction } from './types';

/** The isolation levels {@link withTransaction} takes (checked at run time: the level is written into the SQL). */
export const ISOLATION_LEVELS = ['read committed', 'repeatable read', 'serializable'] as const;

/** Options of {@link withTransaction}. */
export type TransactionOptions = {
  /** Default `read committed`. Serializable transactions are retried on serialization failures. */
  isolation?: (typeof ISOLATION_LEVELS)[number];
  /**
   * `SET LOCAL statement_timeout` for this transaction, ms (default the store's). A longer bound than the store's is
   * still cut client-side at the store's + 5,000 ms (the pool's `query_timeout`).
   */
  statementTimeoutMs?: number;
  /** `SET LOCAL idle_in_transaction_session_timeout`, ms (default the store's). */
  idleInTransactionTimeoutMs?: number;
  /** Attempts in all on serialization failure or deadlock (default the store's). */
  attempts?: number;
};

/**
 * Runs `work` in one transaction on one pooled connection and commits, or rolls back everything when it throws.
 * Each statement and each idle gap is bounded (`SET LOCAL statement_timeout`, `idle_in_transaction_session_timeout`).
 * On a serialization failure or deadlock (SQLSTATE 40001, 40P01) the whole transaction is run again, up to the
 * attempts, after a short random pause: `work` must be safe to repeat (no side effects outside the database).
 *
 * @example
 * const batch = await withTransaction(store, async (tx) => {
 *   const claimed = await claimUnbatchedSnapshots(tx, { limit: 1024 })
 *   return claimed.batch
 * })
 */
export async function withTransaction<T>(
  store: Store,
  work: (tx: Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? store.settings.transactionAttempts;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await attemptTransaction(store, work, options);
    } catch (error) {
      const retry =
        error instanceof StoreError &&
        error.sqlState !== undefined &&
        RETRYABLE_SQL_STATES.includes(error.sqlState) &&
        attempt < attempts;
      if (!retry) throw error;
      await new Promise((done) => setTimeout(done, Math.random() * 20 * attempt));
    }
  }
}

/**
 * `work` in the caller's transaction when `db` is one, else in a new transaction of the store: what a domain
 * function uses so that it joins a transaction it is given.
 *
 * @example
 * await inTransaction(db, async (tx) => { await insertRow(tx); await advanceSequenceLedger(tx, entry) })
 */
export function inTransaction<T>(db: Store | Transaction, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.kind === 'transaction' ? work(db) : withTransaction(db, work);
}

/**
 * The store itself, or the store of a transaction: for work that must not join the caller's transaction.
 *
 * @example
 * const store = storeOf(db)
 */
export function storeOf(db: Store | Transaction): Store {
  return db.kind === 'transaction' ? db.store : db;
}

async function attemptTransaction<T>(
  store: Store,
  work: (tx: Transaction) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  let client;
  try {
    client = await store.pool.connect();
  } catch (error) {
    throw wrapPgError(error, 'Cannot get a database connection.');
  }
  const tx: Transaction = {
    kind: 'transaction',
    client,
    store,
    query: (statement, values) => runQuery(client, statement, values),
  };
  let broken: Error | undefined;
  // A checked-out client whose connection the server ends (idle-in-transaction timeout, restart) emits 'error';
  // unheard, that would be an uncaught exception. The failing query rejects too; the client is then discarded.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    const isolation = options.isolation ?? 'read committed';
    if (!(ISOLATION_LEVELS as readonly string[]).includes(isolation)) {
      throw new StoreError('Invalid isolation level.', {
        details: `expected one of ${ISOLATION_LEVELS.join(', ')}, got ${String(isolation)}`,
      });
    }
    const statementMs = options.statementTimeoutMs ?? store.settings.statementTimeoutMs;
    const idleMs = options.idleInTransactionTimeoutMs ?? store.settings.idleInTransactionTimeoutMs;
    await tx.query(
      `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()};` +
        ` SET LOCAL statement_timeout = ${integer(statementMs)};` +
        ` SET LOCAL idle_in_transaction_session_timeout = ${integer(idleMs)}`,
    );
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error; // the connection is gone: the pool must not reuse it
    }
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

function integer(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new StoreError('Invalid transaction timeout.', { details: `expected milliseconds ≥ 0, got ${ms}` });
  }
  return ms;
}

/** Anything a domain function runs queries on: the store, or a transaction of it. */
export type Db = Store | Transaction;
export type { Queryable };
