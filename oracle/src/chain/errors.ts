import { BaseError } from '../../../twin-core/src/errors/BaseError';

/**
 * The chain mirror cannot go on: the node serves another chain than the deployment's, the index belongs to another
 * deployment, the chain changed while a block range was being read, or an event contradicts the index.
 *
 * @example
 * throw new ChainMirrorError('Wrong chain.', { details: `the node is chain ${chainId}, the deployment ${expected}` })
 */
export class ChainMirrorError extends BaseError {
  override name = 'ChainMirrorError';
}
