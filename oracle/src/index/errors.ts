import { BaseError } from '../../../twin-core/src/errors/BaseError';

/**
 * The index database cannot be opened or migrated, or a repository call was given a value it cannot store
 * (a malformed DeviceID, a negative price, a snapshot that does not exist).
 *
 * @example
 * throw new IndexError('Unknown snapshot.', { details: `${deviceId} #${seq} is not in the index` })
 */
export class IndexError extends BaseError {
  override name = 'IndexError';
}
