import type { NextFunction, Request, Response } from 'express';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { StoreError } from '../../../store/src';
import { ApiError } from '../errors';

/**
 * A failure of the index (PostgreSQL unreachable, a statement cancelled, the pool exhausted) as a 503 the client may
 * retry: `index-unavailable`, with the store's short message and SQL state (never the connection string: the store
 * redacts it).
 */
function fromStore(error: StoreError): ApiError {
  return new ApiError(`The index (PostgreSQL) did not answer: ${error.shortMessage}`, {
    status: 503,
    code: 'index-unavailable',
    details: { reason: error.shortMessage, ...(error.sqlState === undefined ? {} : { sqlState: error.sqlState }) },
    headers: { 'Retry-After': '2' },
    cause: error,
  });
}

/** Body-parser errors by their `type`, and Express's own 4xx (a malformed URL's `URIError`), as API errors. */
function fromBodyParser(error: { type?: string; status?: number; message: string }): ApiError | undefined {
  if (error instanceof URIError) {
    return new ApiError(`Malformed URL: ${error.message}.`, {
      status: 400,
      code: 'invalid-url',
      details: 'a path segment or query value is not valid percent-encoding (RFC 3986)',
    });
  }
  if (error.type === 'entity.too.large') {
    return new ApiError('Request body too large.', { status: 413, code: 'payload-too-large' });
  }
  if (error.type === 'entity.parse.failed') {
    return new ApiError(`Request body is not valid JSON: ${error.message}`, { status: 400, code: 'invalid-json' });
  }
  if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
    return new ApiError(error.message, { status: 415, code: 'unsupported-encoding' });
  }
  // Any other client error Express or a parser raised (its status says so): 4xx with its message, never a 500.
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return new ApiError(error.message, { status: error.status, code: 'bad-request' });
  }
  return undefined;
}

/**
 * The last middleware: every error becomes `{ error: { code, message, details } }` with its status. An
 * {@link ApiError} is sent as it is; a StoreError (the index failed) is logged and answered 503
 * `index-unavailable`; anything else is logged and answered 500 `internal-error` without its internals.
 *
 * @example
 * app.use(errorHandler((level, message, fields) => console.error(message, fields), metrics.countError))
 */
export function errorHandler(
  log: (level: 'error', message: string, fields: Record<string, unknown>) => void,
  count: (code: string, status: number) => void = () => undefined,
): (error: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const apiError =
      error instanceof ApiError
        ? error
        : error instanceof StoreError
        ? fromStore(error)
        : (error !== null && typeof error === 'object'
            ? fromBodyParser(error as { type?: string; message: string })
            : undefined) ?? new ApiError('Internal error.', { status: 500, code: 'internal-error', cause: error });
    if (apiError.status >= 500 && !(error instanceof ApiError)) {
      log('error', 'request failed', {
        method: req.method,
        path: req.path,
        error: error instanceof BaseError ? error.shortMessage : (error as Error)?.message,
      });
    }
    count(apiError.code, apiError.status);
    res.set(apiError.headers).status(apiError.status).json(apiError.body);
  };
}
