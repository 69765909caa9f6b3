import { BEHAVIOURS, type Behaviour } from '../../../twin-core/src/messages/behaviour';
import { DETECTOR_NAMES, TELEMETRY_DETECTORS } from '../detect/detectors';
import type { DetectorName } from '../detect/types';
import type { AlertEvent, SnapshotSample, TelemetrySample } from '../engine/types';
import { FEATURE_COUNT, FEATURES } from '../features/features';
import type { DatasetRow } from './columns';

/** Parameters of {@link createWindowAggregator}. */
export type WindowAggregatorParameters = {
  /** Windows start here (earlier messages are skipped: the commissioning). */
  fromMs: number;
  windowSeconds: number;
  /** Each device's group. */
  groupOf: (deviceId: string) => 'mixed' | 'normal';
  onRow: (row: DatasetRow) => void;
};

/** The aggregator: feed it the analyzer's events, then `finish()`. */
export type WindowAggregator = {
  telemetry(sample: TelemetrySample): void;
  snapshot(sample: SnapshotSample): void;
  alert(event: AlertEvent): void;
  /** Emits every device's last window. */
  finish(): void;
};

type Window = {
  index: number;
  telemetry: number;
  snapshots: number;
  sums: Float64Array;
  counts: Float64Array;
  zSums: Float64Array;
  zCounts: Float64Array;
  labels: Uint32Array;
  scores: Float64Array;
  ports: Set<string>;
  processes: Set<string>;
  alerts: Set<DetectorName>;
};

type Device = { window: Window | undefined; open: Set<DetectorName> };

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/**
 * Aggregates the analyzer's per-message samples into one row per device and window: feature means, mean z-scores,
 * highest detector scores, snapshot findings, open alerts and the majority ground-truth label. Memory: one open
 * window per device.
 *
 * @example
 * const aggregator = createWindowAggregator({ fromMs, windowSeconds: 10, groupOf, onRow: writer.write })
 * analyzer.on('telemetry', aggregator.telemetry)
 */
export function createWindowAggregator(parameters: WindowAggregatorParameters): WindowAggregator {
  const { fromMs, onRow } = parameters;
  const windowMs = parameters.windowSeconds * 1000;
  const devices = new Map<string, Device>();

  const emit = (deviceId: string, window: Window) => {
    const row: DatasetRow = {};
    const startMs = fromMs + window.index * windowMs;
    let best = 0;
    for (let index = 1; index < BEHAVIOURS.length; index++)
      if (window.labels[index]! >= window.labels[best]!) best = index;
    if (window.labels[best] === 0) best = 0;
    const abnormal = window.labels.reduce((sum, count, index) => sum + (index === 0 ? 0 : count), 0);
    const behaviour: Behaviour = BEHAVIOURS[best]!;
    Object.assign(row, {
      deviceId,
      group: parameters.groupOf(deviceId),
      windowStart: new Date(startMs).toISOString(),
      windowStartMs: startMs,
      windowSeconds: parameters.windowSeconds,
      telemetrySamples: window.telemetry,
      snapshots: window.snapshots,
      behaviour,
      anomalous: behaviour !== 'normal',
      anomalousShare: window.telemetry === 0 ? null : round(abnormal / window.telemetry),
    });
    FEATURES.forEach((feature, index) => {
      row[`mean_${feature.name}`] =
        window.counts[index] === 0 ? null : round(window.sums[index]! / window.counts[index]!);
    });
    FEATURES.forEach((feature, index) => {
      row[`z_${feature.name}`] =
        window.zCounts[index] === 0 ? null : round(window.zSums[index]! / window.zCounts[index]!);
    });
    row.newListeningPorts = window.ports.size;
    row.unexpectedProcesses = window.processes.size;
    DETECTOR_NAMES.forEach((name, index) => {
      row[`score_${name}`] = round(window.scores[index]!);
    });
    row.alerts = [...window.alerts].join('|');
    onRow(row);
  };

  const windowFor = (deviceId: string, atMs: number): Window | undefined => {
    if (atMs < fromMs) return undefined;
    const index = Math.floor((atMs - fromMs) / windowMs);
    let device = devices.get(deviceId);
    if (device === undefined) devices.set(deviceId, (device = { window: undefined, open: new Set() }));
    if (device.window !== undefined && device.window.index === index) return device.window;
    if (device.window !== undefined) emit(deviceId, device.window);
    device.window = {
      index,
      telemetry: 0,
      snapshots: 0,
      sums: new Float64Array(FEATURE_COUNT),
      counts: new Float64Array(FEATURE_COUNT),
      zSums: new Float64Array(FEATURE_COUNT),
      zCounts: new Float64Array(FEATURE_COUNT),
      labels: new Uint32Array(BEHAVIOURS.length),
      scores: new Float64Array(DETECTOR_NAMES.length),
      ports: new Set(),
      processes: new Set(),
      alerts: new Set(device.open),
    };
    return device.window;
  };

  return {
    telemetry(sample) {
      const window = windowFor(sample.deviceId, sample.atMs);
      if (window === undefined) return;
      window.telemetry++;
      for (let index = 0; index < FEATURE_COUNT; index++) {
        const raw = sample.raw[index]!;
        if (!Number.isNaN(raw)) {
          window.sums[index] += raw;
          window.counts[index]++;
        }
        const z = sample.z[index]!;
        if (!Number.isNaN(z)) {
          window.zSums[index] += z;
          window.zCounts[index]++;
        }
      }
      for (let index = 0; index < TELEMETRY_DETECTORS.length; index++)
        window.scores[index] = Math.max(window.scores[index]!, sample.scores[index]!);
      window.labels[BEHAVIOURS.indexOf(sample.label?.behaviour ?? 'normal')]++;
    },
    snapshot(sample) {
      const window = windowFor(sample.deviceId, sample.atMs);
      if (window === undefined) return;
      window.snapshots++;
      for (const port of sample.newPorts) window.ports.add(port);
      for (const process of sample.unexpectedProcesses) window.processes.add(process);
      const base = TELEMETRY_DETECTORS.length;
      if (sample.newPorts.length > 0) window.scores[base] = 1;
      if (sample.unexpectedProcesses.length > 0) window.scores[base + 1] = 1;
    },
    alert({ type, alert }) {
      // Alert events follow the sample of the same message: the device's current window is the right one.
      const device = devices.get(alert.deviceId);
      if (device === undefined) return;
      if (type === 'close') device.open.delete(alert.behaviour);
      else {
        device.open.add(alert.behaviour);
        device.window?.alerts.add(alert.behaviour);
      }
    },
    finish() {
      for (const [deviceId, device] of devices) if (device.window !== undefined) emit(deviceId, device.window);
      devices.clear();
    },
  };
}
