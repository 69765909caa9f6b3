import { BaseError } from '../../../twin-core/src/errors/BaseError';

/**
 * The rebuild cannot start or go on: the target database already holds an index (and no `--resume`), another
 * instance leads the chain mirror on it, or the chain or the blob store cannot be reached. A batch or a leaf that
 * cannot be rebuilt is not an error: it is reported, counted and skipped.
 *
 * @example
 * throw new RebuildError('The database already holds an index.', { details: '12 twins, 3 batches: pass --resume' })
 */
export class RebuildError extends BaseError {
  override name = 'RebuildError';
}

/**
 * A fetch from the blob store took longer than the rebuild waits.
 *
 * @example
 * throw new FetchTimeoutError('manifest', cid, 20_000)
 */
export class FetchTimeoutError extends BaseError {
  override name = 'FetchTimeoutError';
  constructor(readonly what: string, readonly cid: string, readonly timeoutMs: number) {
    super(`The ${what} ${cid} was not fetched within ${timeoutMs} ms.`);
  }
}
