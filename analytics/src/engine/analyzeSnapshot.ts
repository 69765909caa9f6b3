import { nameSetOf } from '../baseline/createBaseline';
import { FIRST_MS, WARMED_AT_MS } from '../baseline/layout';
import { observeNames, settleNames } from '../baseline/nameSet';
import { snapshotNames, type SnapshotView } from '../baseline/snapshotNames';
import { SNAPSHOT_DETECTORS, TELEMETRY_DETECTORS } from '../detect/detectors';
import type { GroundTruth } from '../../../twin-core/src/messages/behaviour';
import { closeAlert, isOpen, openAlert, updateAlert } from './alertTransitions';
import type { AnalyzerConfig } from './config';
import { SLOT, SLOT_FIELDS, type DeviceState } from './deviceState';
import type { AlertEvent, AlertEvidence, SnapshotSample } from './types';

/** Parameters of {@link analyzeSnapshot}. */
export type AnalyzeSnapshotParameters = {
  body: SnapshotView & { label?: GroundTruth | undefined };
  atMs: number;
  seq: number;
  config: AnalyzerConfig;
};

/** Result of {@link analyzeSnapshot}. */
export type AnalyzeSnapshotResult = { events: AlertEvent[]; sample: SnapshotSample };

/**
 * One full snapshot: its listening sockets and process names against the device's bounded sets. Until the
 * telemetry warm-up ends (and for the first snapshot seen, if none came during it) the names are counted, and the
 * first judged snapshot learns those seen in at least `warmupNameShare` of them; after, names absent from the sets
 * open a finding, which closes at the first snapshot without them.
 *
 * @example
 * const { events } = analyzeSnapshot(device, { body, atMs, seq, config })
 */
export function analyzeSnapshot(device: DeviceState, parameters: AnalyzeSnapshotParameters): AnalyzeSnapshotResult {
  const { body, atMs, seq, config } = parameters;
  const { baseline, slots } = device;
  const names = snapshotNames(body);
  const learning = Number.isNaN(baseline.numbers[WARMED_AT_MS]!) || baseline.snapshotsLearned === 0;
  if (!learning && !baseline.namesSettled) {
    const minimum = Math.max(1, Math.ceil(config.warmupNameShare * baseline.snapshotsLearned));
    for (const set of ['ports', 'processes'] as const) settleNames(nameSetOf(baseline, set), minimum);
    baseline.namesSettled = true;
  }
  const firstMs = baseline.numbers[FIRST_MS]!;
  const atSeconds = Number.isNaN(firstMs) ? 0 : (atMs - firstMs) / 1000;
  let flaggedByTelemetry = false;
  for (let slot = 0; slot < TELEMETRY_DETECTORS.length; slot++) flaggedByTelemetry ||= isOpen(device, slot);
  const events: AlertEvent[] = [];
  const found: Record<'ports' | 'processes', string[]> = { ports: [], processes: [] };
  SNAPSHOT_DETECTORS.forEach((detector, index) => {
    const slot = TELEMETRY_DETECTORS.length + index;
    const base = slot * SLOT_FIELDS;
    const present = detector.names(names);
    if (present === undefined) return;
    const result = observeNames(nameSetOf(baseline, detector.set), {
      names: present,
      atSeconds,
      learning,
      promoteAfterSeconds: config.promoteAfterSeconds,
      mayPromote: !flaggedByTelemetry,
    });
    if (learning) return;
    found[detector.set] = result.unknown;
    const active = result.unknown.length > 0;
    slots[base + SLOT.STATISTIC] = active ? 1 : 0;
    slots[base + SLOT.SCORE] = active ? 1 : 0;
    const evidence = (): AlertEvidence => ({
      rule: detector.rule,
      names: result.unknown,
      learned: result.learned,
      saturated: result.saturated,
    });
    if (active) {
      if (!isOpen(device, slot)) {
        slots[base + SLOT.RUN_FROM_MS] = atMs;
        slots[base + SLOT.RUN_FIRST_SEQ] = seq;
      }
      slots[base + SLOT.LAST_ACTIVE_MS] = atMs;
      slots[base + SLOT.LAST_ACTIVE_SEQ] = seq;
      if (!isOpen(device, slot)) events.push(openAlert(device, { slot, atMs, evidence: evidence() }));
      else {
        const event = updateAlert(device, { slot, atMs, evidence, updateIntervalMs: 0 });
        if (event !== undefined) events.push(event);
      }
    } else if (isOpen(device, slot)) {
      events.push(closeAlert(device, slot, atMs));
      device.lastAbnormalMs = atMs;
    }
  });
  if (learning) baseline.snapshotsLearned++;
  if (device.openAlerts > 0) device.lastAbnormalMs = atMs;
  return {
    events,
    sample: {
      deviceId: device.deviceId,
      seq,
      atMs,
      label: body.label,
      learning,
      newPorts: found.ports,
      unexpectedProcesses: found.processes,
    },
  };
}
