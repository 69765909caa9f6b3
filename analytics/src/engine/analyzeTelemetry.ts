import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import { describeFeature } from '../baseline/describeFeature';
import { isWarmedUp } from '../baseline/isWarmedUp';
import { learnTelemetry } from '../baseline/learnTelemetry';
import { observeTelemetry } from '../baseline/observeTelemetry';
import { zScore } from '../baseline/zScore';
import { TELEMETRY_DETECTORS } from '../detect/detectors';
import { scoreOf } from '../detect/scoreOf';
import type { TelemetryDetector } from '../detect/types';
import { FEATURE_COUNT } from '../features/features';
import { readFeatures, type FeatureValues } from '../features/readFeatures';
import { closeAlert, isOpen, openAlert, updateAlert } from './alertTransitions';
import { thresholdOf, type AnalyzerConfig } from './config';
import { SLOT, SLOT_FIELDS, type DeviceState } from './deviceState';
import type { AlertEvent, AlertEvidence, TelemetrySample } from './types';

/** Buffers reused across messages (one set per analyzer). */
export type TelemetryScratch = {
  features: FeatureValues;
  z: Float64Array;
  scores: Float64Array;
  active: Uint8Array;
};

/**
 * Fresh scratch buffers.
 *
 * @example
 * const scratch = createTelemetryScratch()
 */
export function createTelemetryScratch(): TelemetryScratch {
  return {
    features: { raw: new Float64Array(FEATURE_COUNT), transformed: new Float64Array(FEATURE_COUNT) },
    z: new Float64Array(FEATURE_COUNT),
    scores: new Float64Array(TELEMETRY_DETECTORS.length),
    active: new Uint8Array(TELEMETRY_DETECTORS.length),
  };
}

/** Parameters of {@link analyzeTelemetry}. */
export type AnalyzeTelemetryParameters = {
  body: TelemetryBody;
  atMs: number;
  seq: number;
  config: AnalyzerConfig;
  scratch: TelemetryScratch;
};

/** Result of {@link analyzeTelemetry}. */
export type AnalyzeTelemetryResult = { events: AlertEvent[]; sample: TelemetrySample };

function telemetryEvidence(device: DeviceState, slot: number, config: AnalyzerConfig): AlertEvidence {
  const detector: TelemetryDetector = TELEMETRY_DETECTORS[slot]!;
  return {
    rule: detector.rule,
    statistic: Math.round(device.slots[slot * SLOT_FIELDS + SLOT.STATISTIC]! * 100) / 100,
    threshold: thresholdOf(config, detector.name),
    features: detector.features.map((feature) => describeFeature(device.baseline, feature)),
  };
}

/**
 * One telemetry interval: short-window update, then (after the warm-up) every detector's statistic against the
 * device's baseline, persistence, explain-away, the alert lifecycle, and finally the baseline update unless the
 * device is flagged (frozen).
 *
 * @example
 * const { events } = analyzeTelemetry(device, { body, atMs, seq, config, scratch })
 */
export function analyzeTelemetry(device: DeviceState, parameters: AnalyzeTelemetryParameters): AnalyzeTelemetryResult {
  const { body, atMs, seq, config, scratch } = parameters;
  const { baseline, slots } = device;
  const intervalSeconds = body.network.intervalSeconds;
  const { transformed, raw } = readFeatures(body, scratch.features);
  observeTelemetry(baseline, {
    transformed,
    atMs,
    intervalSeconds,
    fastSeconds: config.fastSeconds,
    maxStepZ: config.maxStepZ,
    robustAfterSamples: config.robustAfterSamples,
  });
  const warmedUp = isWarmedUp(baseline, config);
  const events: AlertEvent[] = [];
  let highest = 0;
  scratch.scores.fill(0);
  scratch.z.fill(Number.NaN);
  if (warmedUp) {
    for (let index = 0; index < FEATURE_COUNT; index++) scratch.z[index] = zScore(baseline, index);
    let anyActive = false;
    for (let slot = 0; slot < TELEMETRY_DETECTORS.length; slot++) {
      const detector = TELEMETRY_DETECTORS[slot]!;
      const statistic = detector.statistic(scratch.z);
      const threshold = thresholdOf(config, detector.name);
      const score = scoreOf(statistic, threshold);
      const active = statistic >= threshold;
      const base = slot * SLOT_FIELDS;
      slots[base + SLOT.STATISTIC] = Number.isNaN(statistic) ? 0 : statistic;
      slots[base + SLOT.SCORE] = score;
      scratch.scores[slot] = score;
      scratch.active[slot] = active ? 1 : 0;
      highest = Math.max(highest, score);
      anyActive ||= active;
      if (active) {
        if (Number.isNaN(slots[base + SLOT.RUN_FROM_MS]!)) {
          slots[base + SLOT.RUN_FROM_MS] = atMs;
          slots[base + SLOT.RUN_FIRST_SEQ] = seq;
        }
        slots[base + SLOT.LAST_ACTIVE_MS] = atMs;
        slots[base + SLOT.LAST_ACTIVE_SEQ] = seq;
      } else slots[base + SLOT.RUN_FROM_MS] = Number.NaN;
    }
    for (let slot = 0; slot < TELEMETRY_DETECTORS.length; slot++) {
      const detector = TELEMETRY_DETECTORS[slot]!;
      const base = slot * SLOT_FIELDS;
      if (isOpen(device, slot)) {
        if (scratch.active[slot]) {
          const event = updateAlert(device, {
            slot,
            atMs,
            evidence: () => telemetryEvidence(device, slot, config),
            updateIntervalMs: config.updateIntervalSeconds * 1000,
          });
          if (event !== undefined) events.push(event);
        } else if (atMs - slots[base + SLOT.LAST_ACTIVE_MS]! >= config.quietSeconds * 1000) {
          events.push(closeAlert(device, slot, atMs));
        }
        continue;
      }
      if (!scratch.active[slot]) continue;
      if (atMs - slots[base + SLOT.RUN_FROM_MS]! < config.persistenceSeconds * 1000) continue;
      const explained = detector.explainedBy.some((other) => {
        const index = TELEMETRY_DETECTORS.findIndex((candidate) => candidate.name === other);
        return scratch.active[index] === 1 || isOpen(device, index);
      });
      if (!explained) events.push(openAlert(device, { slot, atMs, evidence: telemetryEvidence(device, slot, config) }));
    }
    if (anyActive || device.openAlerts > 0) device.lastAbnormalMs = atMs;
  }
  const learned = !warmedUp || (device.openAlerts === 0 && highest < config.freezeScore);
  if (learned) {
    learnTelemetry(baseline, {
      transformed,
      intervalSeconds,
      baselineSeconds: config.baselineSeconds,
      winsorizeZ: config.winsorizeZ,
      robustAfterSamples: config.robustAfterSamples,
    });
  }
  return {
    events,
    sample: {
      deviceId: device.deviceId,
      seq,
      atMs,
      warmedUp,
      label: body.label,
      raw,
      z: scratch.z,
      scores: scratch.scores,
      learned,
    },
  };
}
