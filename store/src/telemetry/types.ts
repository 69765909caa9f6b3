import type { TimeInput } from '../values';

/** A telemetry batch stored on IPFS. */
export type TelemetryBatch = { id: number; cid: string; messageCount: number; firstAt: string; lastAt: string };

/** The latest telemetry reading of a device: its body as received, and the batch CID once stored. */
export type LatestTelemetry = { deviceId: string; seq: number; ts: string; body: unknown; batchCid: string | null };

/** A recent telemetry reading kept for charts. */
export type TelemetryReading = { seq: number; ts: string; body: unknown };

/** One telemetry message as {@link recordTelemetryBatch} takes it. */
export type TelemetryMessageInput = { deviceId: string; seq: number; ts: TimeInput; body: unknown };

/** What {@link recordTelemetryBatch} takes. */
export type TelemetryBatchInput = {
  /** The batch's CID on IPFS (a batch recorded again, by CID, keeps its first row). */
  cid: string;
  messages: readonly TelemetryMessageInput[];
  /** When the batch was stored (default now). */
  now?: TimeInput;
  /**
   * Readings kept per device, the newest by seq (0 keeps none). Default: no bound per device, the history is bounded
   * by age ({@link dropExpiredTelemetry}); the SQLite index's default was {@link DEFAULT_KEPT_READINGS}.
   */
  keepReadings?: number;
};

/** Readings {@link recentTelemetry} returns by default (and the SQLite index kept per device by default). */
export const DEFAULT_KEPT_READINGS = 120;

/** The ledger kind a telemetry message advances (what the oracle's replay check reads for `telemetry`). */
export const TELEMETRY_LEDGER_KIND = 'telemetry';
