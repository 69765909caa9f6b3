import { BaseError } from '../../../twin-core/src/errors/BaseError';

/** A topology query naming a node the graph does not have, or out-of-range options. */
export class TopologyQueryError extends BaseError {
  override name = 'TopologyQueryError';
  /** The node IDs the graph does not have. */
  readonly unknown: string[];
  constructor(shortMessage: string, parameters: { details?: string; unknown?: string[] } = {}) {
    super(shortMessage, { details: parameters.details });
    this.unknown = parameters.unknown ?? [];
  }
}
