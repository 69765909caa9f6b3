import { BaseError } from '../../twin-core/src/errors/BaseError';

/** An agent failure a user can act on (bad key file, unusable data directory, missing identity field). */
export class AgentError extends BaseError {
  override name = 'AgentError';
}
