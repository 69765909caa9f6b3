import { DETECTOR_NAMES, TELEMETRY_DETECTORS } from '../detect/detectors';
import { closeAlert, isOpen } from './alertTransitions';
import type { AnalyzerConfig } from './config';
import { SLOT, SLOT_FIELDS, type DeviceState } from './deviceState';
import type { AlertEvent } from './types';

/**
 * Closes a device's alerts that went quiet by `nowMs` without a message to close them (the device stopped
 * sending): telemetry alerts after `quietSeconds` without activity, snapshot findings after `snapshotStaleSeconds`
 * without a snapshot confirming them.
 *
 * @example
 * for (const device of devices) events.push(...flushDevice(device, Date.now(), config))
 */
export function flushDevice(device: DeviceState, nowMs: number, config: AnalyzerConfig): AlertEvent[] {
  const events: AlertEvent[] = [];
  if (device.openAlerts === 0) return events;
  for (let slot = 0; slot < DETECTOR_NAMES.length; slot++) {
    if (!isOpen(device, slot)) continue;
    const lastActiveMs = device.slots[slot * SLOT_FIELDS + SLOT.LAST_ACTIVE_MS]!;
    const quietMs = (slot < TELEMETRY_DETECTORS.length ? config.quietSeconds : config.snapshotStaleSeconds) * 1000;
    if (nowMs - lastActiveMs >= quietMs) events.push(closeAlert(device, slot, nowMs));
  }
  return events;
}
