import { BaseError } from '../../twin-core/src/errors/BaseError';

/** The JSON body of every error response: `{ error: { code, message, details } }`. */
export type ApiErrorBody = { error: { code: string; message: string; details?: unknown } };

/** Parameters of {@link ApiError}. */
export type ApiErrorParameters = {
  /** HTTP status (400 bad input, 401 no or bad credentials, 403 not allowed, 404, 409 conflict, 422 reverted…). */
  status: number;
  /** Stable machine-readable code in kebab case, e.g. `invalid-input`, `not-twin-owner`. */
  code: string;
  /** JSON details for programs, e.g. the issues per field or the decoded revert. */
  details?: unknown;
  /** Response headers to send with the error, e.g. `Retry-After` on a 429. */
  headers?: Record<string, string>;
  cause?: unknown;
};

/**
 * The one error class the API answers with: every route, the auth and the relay throw it (or a BaseError the
 * error handler wraps once); the error handler turns it into `{ error: { code, message, details } }` with its status.
 *
 * @example
 * throw new ApiError('Twin not found.', { status: 404, code: 'twin-not-found', details: { deviceId } })
 */
export class ApiError extends BaseError {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly body: ApiErrorBody;
  readonly headers: Record<string, string>;

  constructor(message: string, parameters: ApiErrorParameters) {
    super(message, { cause: parameters.cause });
    this.status = parameters.status;
    this.code = parameters.code;
    this.headers = parameters.headers ?? {};
    this.body = {
      error: {
        code: parameters.code,
        message,
        ...(parameters.details === undefined ? {} : { details: parameters.details }),
      },
    };
  }
}
