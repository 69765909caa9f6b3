import type { Behaviour } from '../../../twin-core/src/messages/behaviour';
import type { FeatureName } from '../features/features';
import type { SnapshotNames } from '../baseline/snapshotNames';

/** A behaviour a telemetry detector names: seed 000's abnormal behaviours (twin-core `BEHAVIOURS` but `normal`). */
export type TelemetryDetectorName = Exclude<Behaviour, 'normal'>;

/** What the snapshot detectors name. */
export type SnapshotFindingName = 'new-listening-port' | 'unexpected-process';

/** Anything an alert can name. */
export type DetectorName = TelemetryDetectorName | SnapshotFindingName;

/**
 * A detector over telemetry: a statistic in baseline spreads (z units) from the device's short-window z-scores.
 * The engine turns it into a score (see `scoreOf`), requires it to persist, and opens one alert per episode.
 */
export type TelemetryDetector = {
  readonly name: TelemetryDetectorName;
  /** The rule, in one line (README and evidence). */
  readonly rule: string;
  /** Features the statistic reads, reported as evidence. */
  readonly features: readonly FeatureName[];
  /**
   * Detectors whose signature includes this one's as a side effect (e.g. a connection flood raises the packet
   * rate): while one of them is active on the device, this one opens no alert.
   */
  readonly explainedBy: readonly TelemetryDetectorName[];
  /** The statistic from every feature's z-score (`FEATURES` order, NaN when unreported); ≤ 0 means no evidence. */
  statistic(z: Float64Array): number;
};

/** A detector over full snapshots: names present now that the device's baseline does not hold. */
export type SnapshotDetector = {
  readonly name: SnapshotFindingName;
  readonly rule: string;
  /** Which bounded set of the baseline it judges against. */
  readonly set: 'ports' | 'processes';
  /** The names of a snapshot it judges (undefined: the probe is unavailable). */
  names(names: SnapshotNames): string[] | undefined;
};
