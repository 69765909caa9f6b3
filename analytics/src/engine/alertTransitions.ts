import { DETECTOR_NAMES } from '../detect/detectors';
import { SLOT, SLOT_FIELDS, type DeviceState } from './deviceState';
import type { Alert, AlertEvent, AlertEvidence } from './types';

const field = (slot: number, name: number) => slot * SLOT_FIELDS + name;

/**
 * The alert held in a device's detector slot, as events carry it.
 *
 * @example
 * alertOf(device, 6, null).behaviour // 'beaconing'
 */
export function alertOf(device: DeviceState, slot: number, closedAtMs: number | null): Alert {
  const { slots } = device;
  const behaviour = DETECTOR_NAMES[slot]!;
  const openedAtMs = slots[field(slot, SLOT.OPENED_MS)]!;
  return {
    id: `${device.deviceId}/${behaviour}/${openedAtMs}`,
    deviceId: device.deviceId,
    behaviour,
    score: Math.round(slots[field(slot, SLOT.PEAK_SCORE)]! * 1000) / 1000,
    currentScore: Math.round(slots[field(slot, SLOT.SCORE)]! * 1000) / 1000,
    window: { from: slots[field(slot, SLOT.WINDOW_FROM_MS)]!, to: slots[field(slot, SLOT.LAST_ACTIVE_MS)]! },
    openedAtMs,
    closedAtMs,
    evidence: device.evidence![slot]!,
    firstSeq: slots[field(slot, SLOT.FIRST_SEQ)]!,
    lastSeq: slots[field(slot, SLOT.LAST_ACTIVE_SEQ)]!,
  };
}

/** Parameters of {@link openAlert}. */
export type OpenAlertParameters = { slot: number; atMs: number; evidence: AlertEvidence };

/**
 * Opens the alert of a detector slot: its window starts at the current run's first active sample.
 *
 * @example
 * events.push(openAlert(device, { slot, atMs, evidence }))
 */
export function openAlert(device: DeviceState, parameters: OpenAlertParameters): AlertEvent {
  const { slots } = device;
  const { slot, atMs } = parameters;
  slots[field(slot, SLOT.OPENED_MS)] = atMs;
  slots[field(slot, SLOT.WINDOW_FROM_MS)] = slots[field(slot, SLOT.RUN_FROM_MS)]!;
  slots[field(slot, SLOT.FIRST_SEQ)] = slots[field(slot, SLOT.RUN_FIRST_SEQ)]!;
  slots[field(slot, SLOT.PEAK_SCORE)] = slots[field(slot, SLOT.SCORE)]!;
  slots[field(slot, SLOT.LAST_EMIT_MS)] = atMs;
  device.evidence ??= new Array<AlertEvidence | undefined>(DETECTOR_NAMES.length).fill(undefined);
  device.evidence[slot] = parameters.evidence;
  device.openAlerts++;
  return { type: 'open', alert: alertOf(device, slot, null) };
}

/** Parameters of {@link updateAlert}. */
export type UpdateAlertParameters = {
  slot: number;
  atMs: number;
  /** Builds the latest evidence (only called when an event is due). */
  evidence: () => AlertEvidence;
  updateIntervalMs: number;
};

/**
 * Records an active sample in an open alert; returns an `update` event when one is due (the score rose past the
 * peak, or `updateIntervalMs` passed since the last event), else undefined.
 *
 * @example
 * const event = updateAlert(device, { slot, atMs, evidence: () => build(), updateIntervalMs: 10_000 })
 */
export function updateAlert(device: DeviceState, parameters: UpdateAlertParameters): AlertEvent | undefined {
  const { slots } = device;
  const { slot, atMs } = parameters;
  const score = slots[field(slot, SLOT.SCORE)]!;
  const peak = slots[field(slot, SLOT.PEAK_SCORE)]!;
  const rose = score > peak + 0.05;
  slots[field(slot, SLOT.PEAK_SCORE)] = Math.max(peak, score);
  if (!rose && atMs - slots[field(slot, SLOT.LAST_EMIT_MS)]! < parameters.updateIntervalMs) return undefined;
  slots[field(slot, SLOT.LAST_EMIT_MS)] = atMs;
  device.evidence![slot] = parameters.evidence();
  return { type: 'update', alert: alertOf(device, slot, null) };
}

/**
 * Closes the alert of a detector slot.
 *
 * @example
 * events.push(closeAlert(device, slot, atMs))
 */
export function closeAlert(device: DeviceState, slot: number, atMs: number): AlertEvent {
  const event: AlertEvent = { type: 'close', alert: alertOf(device, slot, atMs) };
  device.slots[field(slot, SLOT.OPENED_MS)] = Number.NaN;
  device.evidence![slot] = undefined;
  device.openAlerts--;
  return event;
}

/**
 * Whether the alert of a detector slot is open.
 *
 * @example
 * isOpen(device, 0) // true while a traffic-spike alert is open
 */
export function isOpen(device: DeviceState, slot: number): boolean {
  return !Number.isNaN(device.slots[field(slot, SLOT.OPENED_MS)]!);
}
