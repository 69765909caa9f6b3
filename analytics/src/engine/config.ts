import { z } from 'zod';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { InvalidAnalyzerConfigError } from '../errors';
import { TELEMETRY_DETECTORS } from '../detect/detectors';
import type { TelemetryDetectorName } from '../detect/types';

const seconds = z.number().positive().finite();
const detectorName = z.enum(TELEMETRY_DETECTORS.map((detector) => detector.name) as [TelemetryDetectorName]);

/** Per-detector threshold defaults (merged under the given `thresholds`). */
export const DEFAULT_THRESHOLDS: Partial<Record<TelemetryDetectorName, number>> = { 'traffic-spike': 5 };

/** The analyzer's configuration; every field has a default. */
export const analyzerConfigSchema = z
  .object({
    /** Seconds of telemetry a device sends before it is judged; its baseline is learned meanwhile. Default 600. */
    warmupSeconds: seconds.default(600),
    /** And at least this many telemetry samples before it is judged. Default 120. */
    warmupSamples: z.number().int().positive().default(120),
    /** Time constant (seconds) of the short window judged against the baseline: smooths one-off noise. Default 4. */
    fastSeconds: seconds.default(4),
    /**
     * Largest move of the short window per telemetry interval, in baseline spreads (slew limit): one extreme interval
     * moves it by at most this, below every threshold, so only several abnormal intervals in a row alert. Default 3.
     */
    maxStepZ: z.number().positive().default(3),
    /** Time constant (seconds) of the baseline's location and spread (exponential window). Default 900. */
    baselineSeconds: seconds.default(900),
    /** Residuals are clamped to ± this many spreads before they move the baseline (winsorised update). Default 3. */
    winsorizeZ: z.number().positive().default(3),
    /** Samples per feature learned with a plain running mean before the winsorised update starts. Default 30. */
    robustAfterSamples: z.number().int().nonnegative().default(30),
    /**
     * A detector is active when its statistic reaches this many baseline spreads (z units); its score is then
     * ≥ 0.5. Default 6.
     */
    threshold: z.number().positive().default(6),
    /**
     * Per-detector thresholds (z units) overriding `threshold`. Default `{ 'traffic-spike': 5 }`: the packet rate is
     * the noisiest metric (Poisson counts on slow devices, slow activity drift), so its spike statistic is smaller for
     * the same evidence; 5 is above everything normal traffic held for `persistenceSeconds` in the tuning run.
     */
    thresholds: z
      .partialRecord(detectorName, z.number().positive())
      .default({})
      .transform((thresholds) => ({ ...DEFAULT_THRESHOLDS, ...thresholds })),
    /** Seconds a telemetry detector must stay active before its alert opens (one-off noise never does). Default 3. */
    persistenceSeconds: z.number().nonnegative().default(3),
    /** Seconds without activity after which a telemetry alert closes. Default 15. */
    quietSeconds: seconds.default(15),
    /** A snapshot finding not confirmed by a snapshot for this long is closed by `flush()`. Default 300. */
    snapshotStaleSeconds: seconds.default(300),
    /**
     * The baseline stops learning while an alert is open on the device or any detector's score reaches this
     * (0.3 ≈ a statistic of 0.65 × threshold), so an attack is never learned as normal. Default 0.3.
     */
    freezeScore: z.number().min(0).max(1).default(0.3),
    /** At most one `update` event per open alert per this many seconds. Default 10. */
    updateIntervalSeconds: z.number().nonnegative().default(10),
    /**
     * A listening port or process name is learned at the end of the warm-up when at least this share of the warm-up's
     * snapshots listed it: one seen in only a few (a short attack during the warm-up) is not. Default 0.5.
     */
    warmupNameShare: z.number().min(0).max(1).default(0.5),
    /** Capacity of each bounded name set (listening ports, process names) per device. Default 64. */
    setCapacity: z.number().int().min(1).max(1024).default(64),
    /** A new port or process continuously present this long (seconds), while the device is otherwise clean, is learned. Default 21,600 (6 h). */
    promoteAfterSeconds: z.number().positive().default(21_600),
    /** Devices kept; beyond it the least recently seen device's state is dropped. Default 100,000. */
    maxDevices: z.number().int().positive().default(100_000),
    /** Validate every message with the twin-core schemas (turn off only for messages validated upstream). Default true. */
    validate: z.boolean().default(true),
  })
  .strict();

/** Analyzer configuration as given (defaults applied by {@link parseAnalyzerConfig}). */
export type AnalyzerConfigInput = z.input<typeof analyzerConfigSchema>;
/** Analyzer configuration with every default applied. */
export type AnalyzerConfig = z.output<typeof analyzerConfigSchema>;

/**
 * Validates the configuration and applies the defaults.
 *
 * @example
 * parseAnalyzerConfig({ warmupSeconds: 300 }).quietSeconds // 15
 */
export function parseAnalyzerConfig(input: unknown = {}): AnalyzerConfig {
  const result = analyzerConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new InvalidAnalyzerConfigError('Invalid analyzer configuration.', {
    metaMessages: formatIssues(result.error.issues, 'config'),
  });
}

/**
 * The threshold (z units) of a telemetry detector.
 *
 * @example
 * thresholdOf(config, 'beaconing') // 6 unless overridden
 */
export function thresholdOf(config: AnalyzerConfig, detector: TelemetryDetectorName): number {
  return config.thresholds[detector] ?? config.threshold;
}
