import type { Behaviour } from '../../../twin-core/src/messages/behaviour';
import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import { snapshotNames } from '../baseline/snapshotNames';
import type { DetectorName } from '../detect/types';
import type { AlertEvent } from '../engine/types';
import type { FleetMessage } from './simulateFleet';

/** A ground-truth episode: a maximal run of a device's messages labelled with the same abnormal behaviour. */
export type RecordedEpisode = {
  deviceId: string;
  behaviour: Exclude<Behaviour, 'normal'>;
  startMs: number;
  /** Last labelled message + one telemetry interval (1 s). */
  endMs: number;
  /** Already running at the device's first message of its phase: its start was not observed, so it is not scored. */
  truncated: boolean;
  /** A snapshot during the episode listed a listening port / process name the device's normal snapshots never had. */
  portTrace: boolean;
  processTrace: boolean;
};

/** An alert as the evaluation keeps it. */
export type RecordedAlert = {
  deviceId: string;
  behaviour: DetectorName;
  openedAtMs: number;
  closedAtMs: number | null;
};

/** Everything the scoring needs, gathered while the fleet runs. */
export type Recording = {
  episodes: RecordedEpisode[];
  alerts: RecordedAlert[];
  /** Devices with no abnormal label at all, by group. */
  normalDevices: string[];
  devicesByGroup: Record<FleetMessage['group'], number>;
};

/** The recorder: feed it every fleet message and every alert event, then `finish()`. */
export type Recorder = {
  message(message: FleetMessage): void;
  alert(event: AlertEvent): void;
  finish(): Recording;
};

type DeviceRecord = {
  group: FleetMessage['group'];
  phase: FleetMessage['phase'] | undefined;
  anomalous: boolean;
  open: RecordedEpisode | undefined;
  normalPorts: Set<string>;
  normalProcesses: Set<string>;
};

/**
 * A recorder of ground truth (episodes from the simulator's labels) and of the analyzer's alerts.
 *
 * @example
 * const recorder = createRecorder()
 * analyzer.on('alert', recorder.alert)
 * simulateFleet(options, (message) => { recorder.message(message); analyzer.analyze(message.envelope) })
 * const recording = recorder.finish()
 */
export function createRecorder(): Recorder {
  const devices = new Map<string, DeviceRecord>();
  const episodes: RecordedEpisode[] = [];
  const alerts: RecordedAlert[] = [];
  const openAlerts = new Map<string, RecordedAlert>();

  const close = (record: DeviceRecord) => {
    if (record.open !== undefined) episodes.push(record.open);
    record.open = undefined;
  };

  return {
    message({ envelope, atMs, group, phase, label }) {
      let record = devices.get(envelope.deviceId);
      if (record === undefined) {
        record = {
          group,
          phase: undefined,
          anomalous: false,
          open: undefined,
          normalPorts: new Set(),
          normalProcesses: new Set(),
        };
        devices.set(envelope.deviceId, record);
      }
      const firstOfPhase = record.phase !== phase;
      record.phase = phase;
      const names = envelope.kind === 'snapshot' ? snapshotNames(envelope.body as SnapshotBody) : undefined;
      if (!label.anomalous || label.behaviour === 'normal') {
        close(record);
        for (const port of names?.ports ?? []) record.normalPorts.add(port);
        for (const process of names?.processes ?? []) record.normalProcesses.add(process);
        return;
      }
      record.anomalous = true;
      if (record.open?.behaviour !== label.behaviour) {
        close(record);
        record.open = {
          deviceId: envelope.deviceId,
          behaviour: label.behaviour,
          startMs: atMs,
          endMs: atMs + 1000,
          truncated: firstOfPhase,
          portTrace: false,
          processTrace: false,
        };
      }
      const open = record.open;
      open.endMs = atMs + 1000;
      if (names === undefined) return;
      open.portTrace ||= (names.ports ?? []).some((port) => !record.normalPorts.has(port));
      open.processTrace ||= (names.processes ?? []).some((process) => !record.normalProcesses.has(process));
    },
    alert({ type, alert }) {
      if (type === 'open') {
        const recorded = {
          deviceId: alert.deviceId,
          behaviour: alert.behaviour,
          openedAtMs: alert.openedAtMs,
          closedAtMs: null,
        };
        alerts.push(recorded);
        openAlerts.set(alert.id, recorded);
      } else if (type === 'close') {
        const recorded = openAlerts.get(alert.id);
        if (recorded !== undefined) recorded.closedAtMs = alert.closedAtMs;
        openAlerts.delete(alert.id);
      }
    },
    finish() {
      const devicesByGroup = { mixed: 0, normal: 0 };
      const normalDevices: string[] = [];
      for (const [deviceId, record] of devices) {
        close(record);
        devicesByGroup[record.group]++;
        if (!record.anomalous) normalDevices.push(deviceId);
      }
      return { episodes, alerts, normalDevices, devicesByGroup };
    },
  };
}
