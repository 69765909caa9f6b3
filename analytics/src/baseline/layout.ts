/**
 * Layout of a device's numeric baseline: one Float64Array of {@link BASELINE_NUMBERS} numbers, whatever the device
 * sends or for how long. Per feature (`FEATURES` order), four blocks:
 *
 * - `FAST`: short-window EWMA of the transformed value (what is judged: one-off noise is smoothed out);
 * - `LOCATION`, `SCALE`: robust long-window location and spread (σ-equivalent) of the `FAST` series;
 * - `COUNT`: samples learned (drives the warm-up step size 1/n).
 *
 * then the 95th-percentile trackers of the incoming and outgoing packet rate (the usual peak) and the device's
 * clock: first and last telemetry instant, telemetry samples, warm-up completion.
 */
import { FEATURE_COUNT } from '../features/features';

export const FAST = 0;
export const LOCATION = FEATURE_COUNT;
export const SCALE = 2 * FEATURE_COUNT;
export const COUNT = 3 * FEATURE_COUNT;
/** p95 of ln(packets in + 1) and ln(packets out + 1) per interval. */
export const PEAK_IN = 4 * FEATURE_COUNT;
export const PEAK_OUT = PEAK_IN + 1;
export const FIRST_MS = PEAK_IN + 2;
export const LAST_MS = PEAK_IN + 3;
export const SAMPLES = PEAK_IN + 4;
/** When the warm-up ended (NaN before). */
export const WARMED_AT_MS = PEAK_IN + 5;

/** Numbers in a device's numeric baseline. */
export const BASELINE_NUMBERS = PEAK_IN + 6;

/** Bytes of a device's numeric baseline (Float64). */
export const BASELINE_BYTES = BASELINE_NUMBERS * 8;
