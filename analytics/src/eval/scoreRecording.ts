import { DETECTOR_NAMES, TELEMETRY_DETECTORS } from '../detect/detectors';
import type { DetectorName } from '../detect/types';
import type { RecordedAlert, RecordedEpisode, Recording } from './createRecorder';

/** Parameters of {@link scoreRecording}. */
export type ScoreParameters = {
  /**
   * The judged period: alerts opened before `fromMs` are not scored, nor episodes starting before it or after
   * `toMs − tailSeconds`.
   */
  fromMs: number;
  toMs: number;
  /** An alert opening up to this long after its episode's end still detects it. */
  graceSeconds: number;
  /** Episodes starting this close to the end of the run are not scored (too little time to detect them). */
  tailSeconds: number;
  /** Window length for the share of normal windows flagged. */
  windowSeconds: number;
};

/** Precision, recall and F1 of one detector over the episodes it should detect. */
export type DetectorScore = {
  behaviour: DetectorName;
  /** Ground-truth episodes scored. */
  episodes: number;
  /** Episodes with an alert naming the behaviour opening in [start, end + grace] (TP). */
  detected: number;
  /** Alerts naming the behaviour that opened outside every such window (FP): normal periods and other behaviours. */
  falsePositives: number;
  /** Further alerts inside an already detected episode (neither TP nor FP). */
  duplicateAlerts: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Median of (first matching alert's opening − episode start), seconds. */
  medianLatencySeconds: number | null;
};

/** False positives on the devices that never had an episode. */
export type NormalDeviceRate = {
  devices: number;
  deviceHours: number;
  /** Alerts (any detector) opened on them. */
  alerts: number;
  alertsPerDeviceHour: number;
  windowSeconds: number;
  windows: number;
  /** Windows during which an alert was open on the device, even briefly. */
  flaggedWindows: number;
  flaggedShare: number;
};

/** Result of {@link scoreRecording}. */
export type Scores = { detectors: DetectorScore[]; normal: NormalDeviceRate; macroF1: number | null };

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? null : numerator / denominator);

/** The episodes a detector is scored on: its behaviour's, or, for snapshot findings, those that left the trace. */
function episodesFor(behaviour: DetectorName, episodes: RecordedEpisode[]): RecordedEpisode[] {
  if (behaviour === 'new-listening-port') return episodes.filter((episode) => episode.portTrace);
  if (behaviour === 'unexpected-process') return episodes.filter((episode) => episode.processTrace);
  return episodes.filter((episode) => episode.behaviour === behaviour);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function scoreDetector(behaviour: DetectorName, recording: Recording, parameters: ScoreParameters): DetectorScore {
  const graceMs = parameters.graceSeconds * 1000;
  const all = episodesFor(behaviour, recording.episodes);
  const scored = new Set(
    all.filter(
      (episode) =>
        !episode.truncated &&
        episode.startMs >= parameters.fromMs &&
        episode.startMs <= parameters.toMs - parameters.tailSeconds * 1000,
    ),
  );
  const byDevice = new Map<string, RecordedEpisode[]>();
  for (const episode of all) byDevice.set(episode.deviceId, [...(byDevice.get(episode.deviceId) ?? []), episode]);
  const firstAlert = new Map<RecordedEpisode, number>();
  let falsePositives = 0;
  let duplicateAlerts = 0;
  for (const alert of recording.alerts) {
    if (alert.behaviour !== behaviour || alert.openedAtMs < parameters.fromMs) continue;
    const episode = (byDevice.get(alert.deviceId) ?? []).find(
      (candidate) => alert.openedAtMs >= candidate.startMs && alert.openedAtMs <= candidate.endMs + graceMs,
    );
    if (episode === undefined) falsePositives++;
    else if (!scored.has(episode)) continue;
    else if (firstAlert.has(episode)) duplicateAlerts++;
    else firstAlert.set(episode, alert.openedAtMs);
  }
  const detected = firstAlert.size;
  const precision = ratio(detected, detected + falsePositives);
  const recall = ratio(detected, scored.size);
  const f1 =
    precision === null || recall === null
      ? null
      : precision + recall === 0
      ? 0
      : (2 * precision * recall) / (precision + recall);
  return {
    behaviour,
    episodes: scored.size,
    detected,
    falsePositives,
    duplicateAlerts,
    precision,
    recall,
    f1,
    medianLatencySeconds: median([...firstAlert].map(([episode, openedAtMs]) => (openedAtMs - episode.startMs) / 1000)),
  };
}

function scoreNormalDevices(recording: Recording, parameters: ScoreParameters): NormalDeviceRate {
  const { fromMs, toMs, windowSeconds } = parameters;
  const windowMs = windowSeconds * 1000;
  const perDevice = Math.floor((toMs - fromMs) / windowMs);
  const normal = new Set(recording.normalDevices);
  const byDevice = new Map<string, RecordedAlert[]>();
  let alerts = 0;
  for (const alert of recording.alerts) {
    if (!normal.has(alert.deviceId)) continue;
    if (alert.openedAtMs >= fromMs) alerts++;
    byDevice.set(alert.deviceId, [...(byDevice.get(alert.deviceId) ?? []), alert]);
  }
  let flaggedWindows = 0;
  for (const deviceAlerts of byDevice.values()) {
    for (let window = 0; window < perDevice; window++) {
      const start = fromMs + window * windowMs;
      const end = start + windowMs;
      if (deviceAlerts.some((alert) => alert.openedAtMs < end && (alert.closedAtMs ?? toMs) >= start)) flaggedWindows++;
    }
  }
  const deviceHours = (normal.size * (toMs - fromMs)) / 3_600_000;
  const windows = normal.size * perDevice;
  return {
    devices: normal.size,
    deviceHours,
    alerts,
    alertsPerDeviceHour: ratio(alerts, deviceHours) ?? 0,
    windowSeconds,
    windows,
    flaggedWindows,
    flaggedShare: ratio(flaggedWindows, windows) ?? 0,
  };
}

/**
 * Scores a recording. An episode is detected (TP) when an alert naming its behaviour opens during it or within
 * `graceSeconds` after its end; an alert naming a behaviour that opens outside every episode of that behaviour on
 * its device (a normal period, or another behaviour's episode) is a false positive for the named behaviour;
 * further alerts inside a detected episode are counted as duplicates, not as false positives. Episodes already
 * running when the judged period starts, or starting in its last `tailSeconds`, are not scored (alerts matching them
 * are neither true nor false). Snapshot findings are
 * scored against the episodes that left their trace in a snapshot (a port or process name never seen in the
 * device's normal snapshots).
 *
 * @example
 * scoreRecording(recorder.finish(), { fromMs, toMs, graceSeconds: 10, tailSeconds: 30, windowSeconds: 60 })
 */
export function scoreRecording(recording: Recording, parameters: ScoreParameters): Scores {
  const detectors = DETECTOR_NAMES.map((behaviour) => scoreDetector(behaviour, recording, parameters));
  const f1s = detectors
    .slice(0, TELEMETRY_DETECTORS.length)
    .map((score) => score.f1)
    .filter((f1): f1 is number => f1 !== null);
  return {
    detectors,
    normal: scoreNormalDevices(recording, parameters),
    macroF1: f1s.length === 0 ? null : f1s.reduce((sum, f1) => sum + f1, 0) / f1s.length,
  };
}
