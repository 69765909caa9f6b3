/** Parameters of {@link BaseError}. */
export type BaseErrorParameters = {
  /** What went wrong, in one line a user can act on. */
  details?: string | undefined;
  /** The error this one wraps. */
  cause?: unknown;
  /** Extra lines printed under the message (e.g. which field, which value). */
  metaMessages?: string[] | undefined;
};

/**
 * The one base class of every error the project throws on purpose: a short message for people, the details and
 * the wrapped cause for programs. Wrap once at a boundary; never wrap a BaseError in another.
 *
 * @example
 * throw new BaseError('Deployment file not found.', { details: `no file at ${path}` })
 */
export class BaseError extends Error {
  override name = 'BaseError';
  /** The message without the details and meta lines. */
  readonly shortMessage: string;
  /** The details line, if any. */
  readonly details: string | undefined;
  readonly metaMessages: string[] | undefined;

  constructor(shortMessage: string, parameters: BaseErrorParameters = {}) {
    const lines = [shortMessage];
    if (parameters.metaMessages?.length) lines.push('', ...parameters.metaMessages);
    if (parameters.details) lines.push('', `Details: ${parameters.details}`);
    super(lines.join('\n'), parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.shortMessage = shortMessage;
    this.details = parameters.details;
    this.metaMessages = parameters.metaMessages;
  }
}
