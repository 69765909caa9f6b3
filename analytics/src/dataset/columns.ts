import { BEHAVIOURS } from '../../../twin-core/src/messages/behaviour';
import { DETECTOR_NAMES, TELEMETRY_DETECTORS } from '../detect/detectors';
import { FEATURES } from '../features/features';

/** One column of the dataset (JSONL key and CSV header). */
export type DatasetColumn = {
  name: string;
  type: 'string' | 'number' | 'boolean';
  unit: string;
  description: string;
};

/** A dataset row: one device over one window, every column present (null: no value, an empty CSV cell). */
export type DatasetRow = Record<string, string | number | boolean | null>;

/** Every column, in CSV order. */
export const DATASET_COLUMNS: readonly DatasetColumn[] = [
  { name: 'deviceId', type: 'string', unit: '', description: 'DeviceID (0x + 64 hex digits)' },
  {
    name: 'group',
    type: 'string',
    unit: '',
    description: '`mixed` (mixed-scenario device) or `normal` (normal-only device)',
  },
  { name: 'windowStart', type: 'string', unit: 'ISO 8601', description: 'start of the window (UTC)' },
  { name: 'windowStartMs', type: 'number', unit: 'ms', description: 'start of the window, ms since the epoch' },
  { name: 'windowSeconds', type: 'number', unit: 's', description: 'window length' },
  { name: 'telemetrySamples', type: 'number', unit: 'messages', description: 'telemetry messages in the window' },
  { name: 'snapshots', type: 'number', unit: 'messages', description: 'snapshots in the window' },
  {
    name: 'behaviour',
    type: 'string',
    unit: '',
    description: `ground truth: the label of most of the window's telemetry (${BEHAVIOURS.map((b) => `\`${b}\``).join(
      ', ',
    )}); ties go to the abnormal one`,
  },
  { name: 'anomalous', type: 'boolean', unit: '', description: 'ground truth: `behaviour` is not `normal`' },
  {
    name: 'anomalousShare',
    type: 'number',
    unit: 'ratio',
    description: "share of the window's telemetry labelled abnormal",
  },
  ...FEATURES.map(
    (feature): DatasetColumn => ({
      name: `mean_${feature.name}`,
      type: 'number',
      unit: feature.unit,
      description: `mean over the window of ${feature.description}`,
    }),
  ),
  ...FEATURES.map(
    (feature): DatasetColumn => ({
      name: `z_${feature.name}`,
      type: 'number',
      unit: 'z',
      description: `mean over the window of the short-window z-score of ${feature.name} against the device's baseline (${feature.transform} space; null before the warm-up ends)`,
    }),
  ),
  {
    name: 'newListeningPorts',
    type: 'number',
    unit: 'sockets',
    description: "distinct listening sockets absent from the device's baseline, in the window's snapshots",
  },
  {
    name: 'unexpectedProcesses',
    type: 'number',
    unit: 'names',
    description: "distinct process names absent from the device's baseline, in the window's snapshots",
  },
  ...TELEMETRY_DETECTORS.map(
    (detector): DatasetColumn => ({
      name: `score_${detector.name}`,
      type: 'number',
      unit: 'score',
      description: `highest ${detector.name} detector score in the window, [0, 1), 0.5 = threshold`,
    }),
  ),
  ...DETECTOR_NAMES.slice(TELEMETRY_DETECTORS.length).map(
    (name): DatasetColumn => ({
      name: `score_${name}`,
      type: 'number',
      unit: 'score',
      description: `${name} finding in the window's snapshots: 1 yes, 0 no`,
    }),
  ),
  {
    name: 'alerts',
    type: 'string',
    unit: '',
    description: 'detectors with an alert open at some point of the window, `|`-separated (empty: none)',
  },
];

/** Column names, in CSV order. */
export const DATASET_COLUMN_NAMES: readonly string[] = DATASET_COLUMNS.map((column) => column.name);
