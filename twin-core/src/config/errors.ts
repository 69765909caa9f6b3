import { BaseError } from '../errors/BaseError';

/** A configuration value is missing or invalid; the message names the field and the bad value. */
export class ConfigError extends BaseError {
  override name = 'ConfigError';
  /** Each problem as `field: message (got value)`. */
  readonly issues: string[];

  constructor(source: string, issues: string[]) {
    super(`Invalid configuration in ${source}.`, { metaMessages: issues });
    this.issues = issues;
  }
}
