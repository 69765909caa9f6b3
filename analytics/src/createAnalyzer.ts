/**
 * The analyzer (issue 6): per-device baselines learned online from telemetry and snapshots, the seven behaviour
 * detectors of seed 000 plus two snapshot detectors, and one alert per detected episode.
 */
import { DETECTOR_NAMES } from './detect/detectors';
import { alertOf, isOpen } from './engine/alertTransitions';
import { analyzeSnapshot } from './engine/analyzeSnapshot';
import { analyzeTelemetry, createTelemetryScratch } from './engine/analyzeTelemetry';
import { parseAnalyzerConfig, type AnalyzerConfig, type AnalyzerConfigInput } from './engine/config';
import { createEmitter, type Emitter } from './engine/createEmitter';
import { createDeviceState, typedBytesPerDevice, type DeviceState } from './engine/deviceState';
import { decodeDeviceState, deviceIdOfDeviceState, encodeDeviceState } from './engine/deviceStateCodec';
import { deviceStatus } from './engine/deviceStatus';
import { flushDevice } from './engine/flushDevice';
import { parseAnalyzerMessage, type AnalyzerMessage } from './engine/messages';
import type { Alert, AlertEvent, AnalyzerEventMap, AnalyzerStats, DeviceStatus } from './engine/types';

/** Options of {@link createAnalyzer}: the configuration (see `analyzerConfigSchema`) and the clock. */
export type CreateAnalyzerOptions = AnalyzerConfigInput & {
  /** Clock (ms since the epoch) for `statusOf`, `isQuiet` and `flush` when no instant is given. Default `Date.now`. */
  now?: () => number;
  /** Record which devices change, for {@link Analyzer.takeChanges} (what a saver of the state needs). Default false. */
  trackChanges?: boolean;
};

/** A running analyzer. */
export type Analyzer = {
  /** The configuration, defaults applied. */
  readonly config: AnalyzerConfig;
  /**
   * Consumes one device message (`{ kind, deviceId, seq, ts, body }`; telemetry and snapshots are analysed, static
   * and status ignored, as are duplicates and messages older than the device's latest) and returns the alert events
   * it caused, which are also emitted as `alert`. Throws `InvalidAnalyzerMessageError` on an invalid message.
   */
  analyze(message: unknown): readonly AlertEvent[];
  /** Subscribes to `alert`, `telemetry` or `snapshot`; returns the unsubscribe function. */
  on: Emitter<AnalyzerEventMap>['on'];
  /** Whether a device is within its baseline, and since when. */
  statusOf(deviceId: string, nowMs?: number): DeviceStatus;
  /** Whether a device has been within its baseline (no alert open, no detector active) for `forSeconds`. */
  isQuiet(deviceId: string, forSeconds: number, nowMs?: number): boolean;
  /** Every open alert. */
  openAlerts(): Alert[];
  /** Closes alerts of devices that stopped sending (see `flushDevice`); returns and emits the events. */
  flush(nowMs?: number): AlertEvent[];
  /** Forgets a device's state (re-baselining after an accepted change); true if it was known. */
  reset(deviceId: string): boolean;
  stats(): AnalyzerStats;
  /**
   * A device's whole state as bytes (see `engine/deviceStateCodec.ts`), undefined when unknown: what
   * {@link Analyzer.importDevice} restores exactly, in this analyzer or another of the same `setCapacity`.
   */
  exportDevice(deviceId: string): Uint8Array | undefined;
  /**
   * Restores a device's state that {@link Analyzer.exportDevice} made, replacing what this analyzer held for it, and
   * returns its DeviceID. Throws `InvalidDeviceStateError` naming what is wrong for bytes that are no device state,
   * another format version or layout, another `setCapacity`, truncated or inconsistent bytes, or (with
   * `expectedDeviceId`) another device's state; nothing changes then.
   */
  importDevice(state: Uint8Array, expectedDeviceId?: string): string;
  /**
   * The devices whose state changed (`changed`: export them) or was dropped (`removed`: reset or evicted) since the
   * last call; each call starts a new round. Imports are not changes. Recorded only with `trackChanges` (else
   * always empty).
   */
  takeChanges(): { changed: string[]; removed: string[] };
};

const NONE: readonly AlertEvent[] = Object.freeze([]);
/** Evidence of one open alert, estimated. */
const EVIDENCE_BYTES = 1024;

/**
 * Creates an analyzer.
 *
 * @example
 * const analyzer = createAnalyzer({ warmupSeconds: 600, quietSeconds: 30 })
 * analyzer.on('alert', ({ type, alert }) => console.log(type, alert.deviceId, alert.behaviour, alert.score))
 * mqtt.on('message', (topic, payload) => analyzer.analyze(JSON.parse(payload.toString())))
 * analyzer.statusOf(deviceId) // { anomalous: false, normalSinceMs: …, normalForSeconds: 312, … }
 */
export function createAnalyzer(options: CreateAnalyzerOptions = {}): Analyzer {
  const { now = Date.now, trackChanges = false, ...configInput } = options;
  const config = parseAnalyzerConfig(configInput);
  const emitter = createEmitter<AnalyzerEventMap>();
  const devices = new Map<string, DeviceState>();
  const scratch = createTelemetryScratch();
  const changed = new Set<string>();
  const removed = new Set<string>();
  const forget = (deviceId: string) => {
    if (!trackChanges) return;
    changed.delete(deviceId);
    removed.add(deviceId);
  };
  const touch = (deviceId: string) => {
    if (!trackChanges) return;
    removed.delete(deviceId);
    changed.add(deviceId);
  };
  let messages = 0;
  let ignored = 0;

  function deviceFor(deviceId: string): DeviceState {
    let device = devices.get(deviceId);
    if (device !== undefined) {
      // Re-inserted: the Map's order is least recently seen first, what eviction drops.
      devices.delete(deviceId);
      devices.set(deviceId, device);
      return device;
    }
    device = createDeviceState(deviceId, config.setCapacity);
    add(device);
    return device;
  }

  function add(device: DeviceState) {
    devices.delete(device.deviceId);
    if (devices.size >= config.maxDevices) {
      const oldest = devices.keys().next().value!;
      devices.delete(oldest);
      forget(oldest);
    }
    devices.set(device.deviceId, device);
  }

  function publish(events: readonly AlertEvent[]) {
    for (const event of events) emitter.emit('alert', event);
  }

  return {
    config,
    on: emitter.on,
    analyze(input) {
      const message: AnalyzerMessage = config.validate ? parseAnalyzerMessage(input) : (input as AnalyzerMessage);
      messages++;
      if (message.kind !== 'telemetry' && message.kind !== 'snapshot') {
        ignored++;
        return NONE;
      }
      const atMs = Date.parse(message.ts);
      const device = deviceFor(message.deviceId);
      if (!(message.seq > device.lastSeq && atMs >= device.lastMs)) {
        ignored++;
        return NONE;
      }
      device.lastSeq = message.seq;
      device.lastMs = atMs;
      touch(device.deviceId);
      if (message.kind === 'telemetry') {
        const { events, sample } = analyzeTelemetry(device, {
          body: message.body,
          atMs,
          seq: message.seq,
          config,
          scratch,
        });
        if (emitter.has('telemetry')) emitter.emit('telemetry', sample);
        publish(events);
        return events.length === 0 ? NONE : events;
      }
      const { events, sample } = analyzeSnapshot(device, { body: message.body, atMs, seq: message.seq, config });
      if (emitter.has('snapshot')) emitter.emit('snapshot', sample);
      publish(events);
      return events.length === 0 ? NONE : events;
    },
    statusOf(deviceId, nowMs = now()) {
      return deviceStatus(devices.get(deviceId), nowMs);
    },
    isQuiet(deviceId, forSeconds, nowMs = now()) {
      const { normalForSeconds } = deviceStatus(devices.get(deviceId), nowMs);
      return normalForSeconds !== null && normalForSeconds >= forSeconds;
    },
    openAlerts() {
      const alerts: Alert[] = [];
      for (const device of devices.values()) {
        if (device.openAlerts === 0) continue;
        for (let slot = 0; slot < DETECTOR_NAMES.length; slot++)
          if (isOpen(device, slot)) alerts.push(alertOf(device, slot, null));
      }
      return alerts;
    },
    flush(nowMs = now()) {
      const events: AlertEvent[] = [];
      for (const device of devices.values()) {
        const closed = flushDevice(device, nowMs, config);
        if (closed.length > 0) touch(device.deviceId), events.push(...closed);
      }
      publish(events);
      return events;
    },
    reset(deviceId) {
      if (!devices.delete(deviceId)) return false;
      forget(deviceId);
      return true;
    },
    exportDevice(deviceId) {
      const device = devices.get(deviceId);
      return device === undefined ? undefined : encodeDeviceState(device);
    },
    importDevice(state, expectedDeviceId) {
      const deviceId = deviceIdOfDeviceState(state);
      const device = createDeviceState(
        expectedDeviceId === undefined || expectedDeviceId === deviceId ? deviceId : expectedDeviceId,
        config.setCapacity,
      );
      decodeDeviceState(state, device);
      add(device);
      return deviceId;
    },
    takeChanges() {
      const round = { changed: [...changed], removed: [...removed] };
      changed.clear();
      removed.clear();
      return round;
    },
    stats() {
      let openAlerts = 0;
      for (const device of devices.values()) openAlerts += device.openAlerts;
      const perDevice = typedBytesPerDevice(config.setCapacity);
      return {
        devices: devices.size,
        openAlerts,
        messages,
        ignored,
        typedBytesPerDevice: perDevice,
        retainedBytes: devices.size * perDevice + openAlerts * EVIDENCE_BYTES,
      };
    },
  };
}
