import { createAnalyzer } from '../createAnalyzer';
import type { AnalyzerConfigInput } from '../engine/config';
import { simulateFleet } from '../eval/simulateFleet';
import { createDatasetWriter, datasetPaths, type DatasetPaths } from './createDatasetWriter';
import { createWindowAggregator } from './createWindowAggregator';

/** Options of {@link buildDataset}. */
export type BuildDatasetOptions = {
  /** Output name: see `datasetPaths`. */
  out: string;
  seed: string;
  devices: number;
  normalDevices: number;
  minutes: number;
  commissionMinutes: number;
  windowSeconds: number;
  /** Share of mixed devices with episodes (simulator default 0.1). */
  episodeFraction?: number | undefined;
  analyzer?: AnalyzerConfigInput;
  /** Simulated start (default 2026-01-01T00:00:00Z). */
  startTimeMs?: number;
};

/** Result of {@link buildDataset}. */
export type BuildDatasetResult = { paths: DatasetPaths; rows: number; messages: number };

/**
 * Runs the evaluation fleet (commissioning, then the `mixed` scenario and the normal-only devices) through the
 * analyzer and writes one labelled row per device and window of the judged period to JSONL and CSV.
 *
 * @example
 * buildDataset({ out: 'windows', seed: '7', devices: 100, normalDevices: 0, minutes: 30, commissionMinutes: 10, windowSeconds: 10 })
 * // { paths: { jsonl: 'windows.jsonl', csv: 'windows.csv' }, rows: 18000, messages: … }
 */
export function buildDataset(options: BuildDatasetOptions): BuildDatasetResult {
  const startTimeMs = options.startTimeMs ?? Date.UTC(2026, 0, 1);
  const analyzer = createAnalyzer({ ...options.analyzer, now: () => Number.NaN });
  const groups = new Map<string, 'mixed' | 'normal'>();
  const writer = createDatasetWriter(datasetPaths(options.out));
  try {
    const aggregator = createWindowAggregator({
      fromMs: startTimeMs + Math.round(options.commissionMinutes * 60_000),
      windowSeconds: options.windowSeconds,
      groupOf: (deviceId) => groups.get(deviceId) ?? 'mixed',
      onRow: writer.write,
    });
    analyzer.on('telemetry', aggregator.telemetry);
    analyzer.on('snapshot', aggregator.snapshot);
    analyzer.on('alert', aggregator.alert);
    const episodes = options.episodeFraction === undefined ? undefined : { deviceFraction: options.episodeFraction };
    const fleet = simulateFleet({ ...options, episodes, startTimeMs }, (message) => {
      if (!groups.has(message.envelope.deviceId)) groups.set(message.envelope.deviceId, message.group);
      analyzer.analyze(message.envelope);
    });
    aggregator.finish();
    return { paths: writer.paths, rows: writer.rows, messages: fleet.messages };
  } finally {
    writer.close();
  }
}
