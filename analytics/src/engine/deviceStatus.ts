import { WARMED_AT_MS } from '../baseline/layout';
import { DETECTOR_NAMES } from '../detect/detectors';
import { isOpen } from './alertTransitions';
import type { DeviceState } from './deviceState';
import type { DeviceStatus } from './types';

/**
 * A device's status at `nowMs` (undefined device: unknown).
 *
 * @example
 * deviceStatus(device, Date.now()) // { anomalous: false, normalSinceMs: 1767225900000, normalForSeconds: 312, … }
 */
export function deviceStatus(device: DeviceState | undefined, nowMs: number): DeviceStatus {
  if (device === undefined) {
    return {
      known: false,
      warmedUp: false,
      anomalous: false,
      openAlerts: [],
      normalSinceMs: null,
      normalForSeconds: null,
      lastSeenMs: null,
    };
  }
  const warmedAtMs = device.baseline.numbers[WARMED_AT_MS]!;
  const warmedUp = !Number.isNaN(warmedAtMs);
  const openAlerts = DETECTOR_NAMES.filter((_, slot) => isOpen(device, slot));
  const anomalous = openAlerts.length > 0;
  const normalSinceMs =
    !warmedUp || anomalous ? null : Number.isNaN(device.lastAbnormalMs) ? warmedAtMs : device.lastAbnormalMs;
  return {
    known: true,
    warmedUp,
    anomalous,
    openAlerts,
    normalSinceMs,
    normalForSeconds: normalSinceMs === null ? null : Math.max(0, (nowMs - normalSinceMs) / 1000),
    lastSeenMs: Number.isFinite(device.lastMs) ? device.lastMs : null,
  };
}
