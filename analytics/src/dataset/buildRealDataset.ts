import { readFileSync } from 'node:fs';
import { BEHAVIOURS, type Behaviour } from '../../../twin-core/src/messages/behaviour';
import { createAnalyzer } from '../createAnalyzer';
import type { AnalyzerConfigInput } from '../engine/config';
import { AnalyticsUsageError } from '../errors';
import { createDatasetWriter, datasetPaths, type DatasetPaths } from './createDatasetWriter';
import { createWindowAggregator } from './createWindowAggregator';

/** Options of {@link buildRealDataset}. */
export type BuildRealDatasetOptions = {
  /** A recording of `npm run eval:real -- --recording FILE`: JSONL of `{ label, message }`. */
  recording: string;
  out: string;
  /** Windows start this long after the first message (the warm-up the recording's run used). */
  warmupMinutes: number;
  windowSeconds: number;
  analyzer?: AnalyzerConfigInput;
};

/**
 * Labelled windows of real traffic: the signed messages an `eval:real` run received, in order, through a fresh
 * analyzer (warm-up as in the run), with the harness's labels as ground truth (each message's `label`: the behaviour
 * whose window held it, else `normal`), written as the simulator dataset is (same columns; group `mixed`).
 *
 * @example
 * buildRealDataset({ recording: 'real.jsonl', out: 'real-windows', warmupMinutes: 5, windowSeconds: 10 })
 */
export function buildRealDataset(options: BuildRealDatasetOptions): { paths: DatasetPaths; rows: number; messages: number } {
  let text: string;
  try {
    text = readFileSync(options.recording, 'utf8');
  } catch (error) {
    throw new AnalyticsUsageError(`${options.recording}: cannot read the recording (${(error as Error).message})`);
  }
  const lines = text.split('\n').filter(Boolean);
  const entries = lines.map((line, index) => {
    let entry: { label?: unknown; message?: { ts?: unknown; body?: Record<string, unknown> } };
    try {
      entry = JSON.parse(line);
    } catch {
      throw new AnalyticsUsageError(`${options.recording}: line ${index + 1} is not JSON (an eval:real --recording file?)`);
    }
    const ms = typeof entry.message?.ts === 'string' ? Date.parse(entry.message.ts) : Number.NaN;
    if (!BEHAVIOURS.includes(entry.label as Behaviour) || !Number.isFinite(ms) || !entry.message?.body) {
      throw new AnalyticsUsageError(`${options.recording}: line ${index + 1} is not an eval:real recording entry`);
    }
    return { label: entry.label as Behaviour, ms, message: entry.message as { ts: string; body: Record<string, unknown> } };
  });
  if (entries.length === 0) throw new AnalyticsUsageError(`${options.recording}: no messages`);
  const warmupSeconds = options.warmupMinutes * 60;
  const analyzer = createAnalyzer({
    warmupSeconds,
    warmupSamples: Math.max(10, Math.floor(warmupSeconds * 0.8)),
    ...options.analyzer,
    now: () => Number.NaN,
  });
  const writer = createDatasetWriter(datasetPaths(options.out));
  try {
    const aggregator = createWindowAggregator({
      fromMs: entries[0]!.ms + Math.round(warmupSeconds * 1000),
      windowSeconds: options.windowSeconds,
      groupOf: () => 'mixed',
      onRow: writer.write,
    });
    analyzer.on('telemetry', aggregator.telemetry);
    analyzer.on('snapshot', aggregator.snapshot);
    analyzer.on('alert', aggregator.alert);
    for (const { label, message } of entries) {
      const body = { ...message.body, label: { behaviour: label, anomalous: label !== 'normal', scenario: 'real' } };
      analyzer.analyze({ ...message, body });
    }
    aggregator.finish();
    return { paths: writer.paths, rows: writer.rows, messages: entries.length };
  } finally {
    writer.close();
  }
}
