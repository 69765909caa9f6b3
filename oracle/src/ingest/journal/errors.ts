import { BaseError } from '../../../../twin-core/src/errors/BaseError';

/**
 * The journal was used against its contract (an append before the replay, a payload above its limit) or its
 * directory holds what it cannot use.
 *
 * @example
 * throw new JournalError('Append refused.', { details: 'replay() the recovered entries first' })
 */
export class JournalError extends BaseError {
  override name = 'JournalError';
}

/**
 * An append would take the journal past its size limit on disk (`maxBytes`): the caller holds the message back
 * (the oracle stops acknowledging, so the broker keeps it) until processed segments are dropped.
 *
 * @example
 * if (!journal.fits(topic, payload.length)) hold()
 */
export class JournalFullError extends BaseError {
  override name = 'JournalFullError';
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`The journal is full: ${bytes} bytes on disk, at most ${maxBytes}.`);
  }
}
