import { BaseError } from '../../../twin-core/src/errors/BaseError';

/**
 * A peer batch's manifest is refused for good: not JSON, not the manifest schema, another leaf count or Merkle root
 * than the chain anchored, or a leaf contradicting a snapshot the index holds. The importer records it as failed
 * with this reason and never fetches it again.
 *
 * @example
 * throw new InvalidManifestError('The manifest does not rebuild the anchored root.', { details: `${root} ≠ ${anchored}` })
 */
export class InvalidManifestError extends BaseError {
  override name = 'InvalidManifestError';
}

/**
 * Fetching a peer batch's manifest took longer than the importer waits; it is fetched again later.
 *
 * @example
 * throw new ManifestTimeoutError(cid, 10_000)
 */
export class ManifestTimeoutError extends BaseError {
  override name = 'ManifestTimeoutError';
  constructor(readonly cid: string, readonly timeoutMs: number) {
    super(`The manifest ${cid} was not fetched within ${timeoutMs} ms.`);
  }
}
