import { createBaseline, type Baseline } from '../baseline/createBaseline';
import { BASELINE_BYTES } from '../baseline/layout';
import { DETECTOR_NAMES } from '../detect/detectors';
import type { AlertEvidence } from './types';

/** Fields of a detector's slot in {@link DeviceState.slots}. */
export const SLOT = {
  /** Latest statistic (z units; 1/0 for snapshot findings). */
  STATISTIC: 0,
  /** Latest score. */
  SCORE: 1,
  /** First sample of the current run of active samples (NaN: not active). */
  RUN_FROM_MS: 2,
  RUN_FIRST_SEQ: 3,
  /** When the open alert opened (NaN: closed). */
  OPENED_MS: 4,
  WINDOW_FROM_MS: 5,
  FIRST_SEQ: 6,
  LAST_ACTIVE_MS: 7,
  LAST_ACTIVE_SEQ: 8,
  PEAK_SCORE: 9,
  LAST_EMIT_MS: 10,
} as const;
/** Numbers per detector slot. */
export const SLOT_FIELDS = 11;

/** Everything the analyzer keeps about one device: fixed size, whatever it sends. */
export type DeviceState = {
  readonly deviceId: string;
  readonly baseline: Baseline;
  /** Per detector (`DETECTOR_NAMES` order), {@link SLOT_FIELDS} numbers. */
  readonly slots: Float64Array;
  /** Latest evidence of each open alert (undefined when closed); allocated at the device's first alert. */
  evidence: Array<AlertEvidence | undefined> | undefined;
  lastSeq: number;
  lastMs: number;
  /** Last sample with an open alert or an active detector (NaN: never). */
  lastAbnormalMs: number;
  openAlerts: number;
};

/**
 * Bytes of typed arrays per device for a set capacity.
 *
 * @example
 * typedBytesPerDevice(64) // 968 + 1,024 + 792
 */
export function typedBytesPerDevice(setCapacity: number): number {
  return BASELINE_BYTES + 2 * setCapacity * 8 + DETECTOR_NAMES.length * SLOT_FIELDS * 8;
}

/**
 * A new device's state.
 *
 * @example
 * const device = createDeviceState('0xab…', 64)
 */
export function createDeviceState(deviceId: string, setCapacity: number): DeviceState {
  const slots = new Float64Array(DETECTOR_NAMES.length * SLOT_FIELDS).fill(Number.NaN);
  for (let slot = 0; slot < DETECTOR_NAMES.length; slot++) {
    slots[slot * SLOT_FIELDS + SLOT.STATISTIC] = 0;
    slots[slot * SLOT_FIELDS + SLOT.SCORE] = 0;
  }
  return {
    deviceId,
    baseline: createBaseline(setCapacity),
    slots,
    evidence: undefined,
    lastSeq: -1,
    lastMs: Number.NEGATIVE_INFINITY,
    lastAbnormalMs: Number.NaN,
    openAlerts: 0,
  };
}
