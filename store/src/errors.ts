import { BaseError, type BaseErrorParameters } from '../../twin-core/src/errors/BaseError';

/** Parameters of {@link StoreError}: the base error's, plus the PostgreSQL SQL state when the server gave one. */
export type StoreErrorParameters = BaseErrorParameters & {
  /** The five-character SQLSTATE (`23505` unique violation, `40001` serialization failure, …). */
  sqlState?: string | undefined;
};

/**
 * The root of every error the store throws on purpose: the server cannot be started or reached, the schema is newer
 * than the code, a query failed (with its SQL state), or a value cannot be stored. Messages never hold a password.
 *
 * @example
 * try { await insertSnapshot(store, input) } catch (error) { if (error instanceof StoreError) log.warn(error.shortMessage) }
 */
export class StoreError extends BaseError {
  override name = 'StoreError';
  /** The PostgreSQL SQLSTATE when a query failed on the server, else undefined. */
  readonly sqlState: string | undefined;

  constructor(shortMessage: string, parameters: StoreErrorParameters = {}) {
    super(shortMessage, parameters);
    this.sqlState = parameters.sqlState;
  }
}

/** SQL states a transaction is retried on: serialization failure and deadlock. */
export const RETRYABLE_SQL_STATES: readonly string[] = ['40001', '40P01'];

/**
 * `url` with its password replaced by `***`: what messages and logs may show of a connection string.
 *
 * @example
 * redactUrl('postgres://app:secret@db:5432/index') // 'postgres://app:***@db:5432/index'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/**
 * Wraps anything a pg call threw as a {@link StoreError} once (a StoreError passes through unchanged): the short
 * message names what was being done, the details hold the server's message and SQL state, any password removed.
 *
 * @example
 * try { await client.query(sql) } catch (error) { throw wrapPgError(error, 'Cannot insert the snapshot.') }
 */
export function wrapPgError(error: unknown, shortMessage: string, secrets: readonly string[] = []): StoreError {
  if (error instanceof StoreError) return error;
  const pg = error as { code?: unknown; message?: unknown; detail?: unknown; constraint?: unknown };
  const sqlState = typeof pg.code === 'string' && /^[0-9A-Z]{5}$/.test(pg.code) ? pg.code : undefined;
  let details = typeof pg.message === 'string' ? pg.message : String(error);
  if (typeof pg.detail === 'string') details += ` (${pg.detail})`;
  if (sqlState !== undefined) details += ` [SQLSTATE ${sqlState}]`;
  else if (typeof pg.code === 'string') details += ` [${pg.code}]`;
  for (const secret of secrets) if (secret !== '') details = details.split(secret).join('***');
  return new StoreError(shortMessage, { details, sqlState, cause: error });
}

/**
 * The message of anything thrown, for `details` lines.
 *
 * @example
 * new StoreError('Cannot start the server.', { details: messageOf(error), cause: error })
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * SQL states of failures that pass by themselves: serialization failure, deadlock, the server shutting down or
 * restarting (57P01–57P03), too many connections (53300), a lock not available (55P03), a statement cancelled by
 * its timeout (57014) and the connection exceptions (class 08).
 */
export const TRANSIENT_SQL_STATES: readonly string[] = [
  ...RETRYABLE_SQL_STATES,
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '55P03',
  '57014',
];

/** What pg says (no SQL state) when the pool waited too long, or a connection broke. */
const TRANSIENT_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Query read timeout|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|the database system is (starting up|shutting down)|Client has encountered a connection error/i;

/**
 * Whether `error` is a failure of the store that a later attempt may not meet: a pool connection not given in time,
 * a connection refused or broken, the server restarting, a serialization failure or deadlock, a statement timeout.
 * What a caller retries (with a pause) rather than giving up on its work; a constraint violation or a bad value is
 * not transient.
 *
 * @example
 * try { await commit() } catch (error) { if (isTransientStoreError(error)) await retryLater(); else throw error }
 */
export function isTransientStoreError(error: unknown): boolean {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 5; depth++) {
    const { sqlState, code, message, details } = cause as {
      sqlState?: unknown;
      code?: unknown;
      message?: unknown;
      details?: unknown;
    };
    const state = typeof sqlState === 'string' ? sqlState : typeof code === 'string' ? code : undefined;
    if (state !== undefined && (TRANSIENT_SQL_STATES.includes(state) || state.startsWith('08'))) return true;
    if (state !== undefined && /^E[A-Z]+$/.test(state) && TRANSIENT_MESSAGES.test(state)) return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
    if (typeof details === 'string' && TRANSIENT_MESSAGES.test(details)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
