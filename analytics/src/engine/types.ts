import type { GroundTruth } from '../../../twin-core/src/messages/behaviour';
import type { FeatureEvidence } from '../baseline/describeFeature';
import type { DetectorName } from '../detect/types';

/** Why an alert was raised: the detector's rule and statistic, and the metrics against the device's baseline. */
export type AlertEvidence = {
  rule: string;
  /** Telemetry detectors: the statistic (z units) at the latest active sample, and the threshold it crossed. */
  statistic?: number;
  threshold?: number;
  /** Telemetry detectors: each metric read, observed (short window) against the baseline. */
  features?: FeatureEvidence[];
  /** Snapshot detectors: the names absent from the baseline, the number learned, whether the set is full. */
  names?: string[];
  learned?: number;
  saturated?: boolean;
};

/** One alert: one detected episode of one behaviour on one device. Times are ms since the epoch (message `ts`). */
export type Alert = {
  /** `deviceId/behaviour/openedAtMs`: the same in the open, update and close events. */
  id: string;
  deviceId: string;
  behaviour: DetectorName;
  /** Highest score while open: [0, 1) for telemetry detectors (0.5 at the threshold), 1 for snapshot findings. */
  score: number;
  /** Score at the latest sample. */
  currentScore: number;
  /** From the first active sample of the run that opened it to the latest active sample. */
  window: { from: number; to: number };
  openedAtMs: number;
  /** Null while open. */
  closedAtMs: number | null;
  evidence: AlertEvidence;
  /** `seq` of the first and the latest active message. */
  firstSeq: number;
  lastSeq: number;
};

/** An alert's lifecycle: `open` on detection, `update` while it lasts (throttled), `close` after quiet. */
export type AlertEvent = { type: 'open' | 'update' | 'close'; alert: Alert };

/** After each telemetry message: what the detectors saw (buffers are reused: copy what you keep). */
export type TelemetrySample = {
  deviceId: string;
  seq: number;
  atMs: number;
  warmedUp: boolean;
  /** Ground truth, when the message carries one (simulator). */
  label: GroundTruth | undefined;
  /** Raw feature values (`FEATURES` order; NaN: not reported). */
  raw: Float64Array;
  /** Short-window z-scores (`FEATURES` order; NaN during the warm-up or when unreported). */
  z: Float64Array;
  /** Score of each telemetry detector (`TELEMETRY_DETECTORS` order; 0 during the warm-up). */
  scores: Float64Array;
  /** Whether the baseline learned from this sample (false while frozen). */
  learned: boolean;
};

/** After each snapshot message: the names absent from the device's baseline (empty while learning). */
export type SnapshotSample = {
  deviceId: string;
  seq: number;
  atMs: number;
  label: GroundTruth | undefined;
  learning: boolean;
  newPorts: string[];
  unexpectedProcesses: string[];
};

/** The analyzer's events and their payloads. */
export type AnalyzerEventMap = {
  alert: AlertEvent;
  telemetry: TelemetrySample;
  snapshot: SnapshotSample;
};

/** Whether a device is within its baseline: what a security service polls. */
export type DeviceStatus = {
  /** Whether the analyzer holds state for the device. */
  known: boolean;
  warmedUp: boolean;
  /** An alert is open on the device. */
  anomalous: boolean;
  openAlerts: DetectorName[];
  /**
   * Since when the device has been within its baseline: the last sample at which an alert was open or a detector
   * active, else the end of its warm-up. Null while anomalous, warming up or unknown.
   */
  normalSinceMs: number | null;
  /** (now − normalSinceMs) / 1000, with the analyzer's clock; null when `normalSinceMs` is. */
  normalForSeconds: number | null;
  /** Timestamp of the device's latest message. */
  lastSeenMs: number | null;
};

/** Totals and the retained state, counted structurally. */
export type AnalyzerStats = {
  devices: number;
  openAlerts: number;
  messages: number;
  /** Messages ignored: duplicates or older than the device's latest (`seq` or `ts`), or static/status. */
  ignored: number;
  /** Bytes of typed arrays held per device (exact). */
  typedBytesPerDevice: number;
  /** Typed-array bytes of every device, plus the evidence of open alerts estimated at 1 KiB each. */
  retainedBytes: number;
};
