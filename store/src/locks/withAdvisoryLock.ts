import { StoreError, wrapPgError } from '../errors';
import type { Store } from '../pool/types';

/** The first key of the session advisory locks {@link withAdvisoryLock} takes (the second is the name's `hashtext`). */
export const NAMED_LOCK_NAMESPACE = 736_100_151;

/**
 * Runs `task` holding a session advisory lock named `name`, across every instance on the database: of instances
 * asking for one name at once, one runs its task at a time. For work outside the database that instances must not
 * interleave (the API's relayer sends: reading the account's nonce and broadcasting). The lock is taken on a pooled
 * connection held for the task (waiting at most the store's statement timeout, then a StoreError, SQLSTATE 57014),
 * and released after it; if the connection dies meanwhile the server frees the lock, and the task's result stands
 * (it is not rolled back: nothing of it is in the database). The connection is then discarded.
 *
 * @example
 * const sent = await withAdvisoryLock(store, `relayer-send:${address.toLowerCase()}`, () => forwarder.execute(request))
 */
export async function withAdvisoryLock<T>(store: Store, name: string, task: () => Promise<T>): Promise<T> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new StoreError('Invalid lock name.', { details: `expected 1 to 200 characters, got ${String(name)}` });
  }
  let client;
  try {
    client = await store.pool.connect();
  } catch (error) {
    throw wrapPgError(error, 'Cannot get a database connection.');
  }
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  let locked = false;
  try {
    try {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [NAMED_LOCK_NAMESPACE, name]);
    } catch (error) {
      broken = error as Error;
      throw wrapPgError(error, `Cannot take the lock ${name}.`);
    }
    locked = true;
    return await task();
  } finally {
    if (locked && broken === undefined) {
      await client
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [NAMED_LOCK_NAMESPACE, name])
        .catch((error: unknown) => (broken = error as Error)); // discarded below: the session, and its lock, end
    }
    client.off('error', onError);
    client.release(broken);
  }
}
