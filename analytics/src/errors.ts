import { BaseError } from '../../twin-core/src/errors/BaseError';

/** Invalid analyzer options: the meta lines name each bad field. */
export class InvalidAnalyzerConfigError extends BaseError {
  override name = 'InvalidAnalyzerConfigError';
}

/** A device message the analyzer cannot read (not a telemetry or snapshot envelope, or a body that fails its schema). */
export class InvalidAnalyzerMessageError extends BaseError {
  override name = 'InvalidAnalyzerMessageError';
}

/** Bad command-line arguments of the evaluation or dataset command. */
export class AnalyticsUsageError extends BaseError {
  override name = 'AnalyticsUsageError';
}

/** A saved device state the analyzer cannot restore (not one, another format or layout, truncated, inconsistent). */
export class InvalidDeviceStateError extends BaseError {
  override name = 'InvalidDeviceStateError';
}
