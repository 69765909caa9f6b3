import type { NextFunction, Request, Response } from 'express';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { ApiError } from '../errors';

/** Body-parser errors by their `type`, as API errors. */
function fromBodyParser(error: { type?: string; status?: number; message: string }): ApiError | undefined {
  if (error.type === 'entity.too.large') {
    return new ApiError('Request body too large.', { status: 413, code: 'payload-too-large' });
  }
  if (error.type === 'entity.parse.failed') {
    return new ApiError(`Request body is not valid JSON: ${error.message}`, { status: 400, code: 'invalid-json' });
  }
  if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
    return new ApiError(error.message, { status: 415, code: 'unsupported-encoding' });
  }
  return undefined;
}

/**
 * The last middleware: every error becomes `{ error: { code, message, details } }` with its status. An
 * {@link ApiError} is sent as it is; anything else is logged and answered 500 `internal-error` without its
 * internals.
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
        : fromBodyParser(error as { type?: string; message: string }) ??
          new ApiError('Internal error.', { status: 500, code: 'internal-error', cause: error });
    if (apiError.status >= 500 && !(error instanceof ApiError)) {
      log('error', 'request failed', {
        method: req.method,
        path: req.path,
        error: error instanceof BaseError ? error.shortMessage : (error as Error)?.message,
      });
    }
    count(apiError.code, apiError.status);
    res.status(apiError.status).json(apiError.body);
  };
}
