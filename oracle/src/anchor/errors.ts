import { BaseError } from '../../../twin-core/src/errors/BaseError';

/**
 * A batch manifest read from IPFS is refused: not JSON, not the manifest schema, or another leaf count or Merkle
 * root than the chain anchored (`checkBatchManifest`). The rebuild reports the batch with this reason and leaves it
 * out.
 *
 * @example
 * throw new InvalidManifestError('The manifest does not rebuild the anchored root.', { details: `${root} ≠ ${anchored}` })
 */
export class InvalidManifestError extends BaseError {
  override name = 'InvalidManifestError';
}
