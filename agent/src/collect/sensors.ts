import { isAbsolute, resolve } from 'node:path';
import type { SensorReading } from '../../../twin-core/src/messages/telemetry';
import type { CollectOptions, SensorPlugin, SystemPaths } from './context';
import { errorMessage, join, listDirectory, readAttribute, readText } from './read';
import { withTimeout } from './runProbe';

/** A thermal zone's reading: /sys/class/thermal/thermal_zoneN/temp is in milli-degrees Celsius. */
export function thermalReading(zone: string, type: string | null, milliCelsius: string): SensorReading | null {
  const value = Number(milliCelsius.trim());
  if (!Number.isFinite(value)) return null;
  return { name: (type ?? zone).slice(0, 64), value: value / 1000, unit: '°C', source: zone };
}

/** Thermal zones: /sys/class/thermal/thermal_zone*\/{type,temp}; none (no thermal class) is an empty list. */
export async function readThermalZones(paths: SystemPaths): Promise<SensorReading[]> {
  const root = join(paths.sys, 'class', 'thermal');
  const zones = (await listDirectory(root).catch(() => [])).filter((entry) => /^thermal_zone\d+$/.test(entry));
  const readings = await Promise.all(
    zones.map(async (zone) => {
      const [type, temp] = await Promise.all([
        readAttribute(join(root, zone, 'type')),
        readAttribute(join(root, zone, 'temp')),
      ]);
      return temp === null ? null : thermalReading(zone, type, temp);
    }),
  );
  return readings.filter((reading): reading is SensorReading => reading !== null);
}

/** The module a module plug-in names: a relative path resolves against the working directory, a bare name through node. */
function loadModule(name: string): { read?: unknown; default?: { read?: unknown } } {
  const target = name.startsWith('.') || isAbsolute(name) ? resolve(name) : name;
  return require(target) as { read?: unknown; default?: { read?: unknown } };
}

/**
 * Reads one plug-in sensor: a file plug-in reads the number in its file (sysfs, IIO) × scale + offset; a module
 * plug-in `require()`s its module and awaits its exported `read()` (or `default.read()`). Throws when the value is
 * not a finite number.
 */
export async function readPlugin(plugin: SensorPlugin): Promise<SensorReading> {
  let value: number;
  let source: string;
  if ('file' in plugin) {
    const raw = (await readText(plugin.file)).trim();
    const number = Number(raw);
    if (raw === '' || !Number.isFinite(number))
      throw new Error(`${plugin.file} holds no number: ${JSON.stringify(raw.slice(0, 40))}`);
    value = number * plugin.scale + plugin.offset;
    source = `plugin:${plugin.name}`;
  } else {
    const loaded = loadModule(plugin.module);
    const read = typeof loaded.read === 'function' ? loaded.read : loaded.default?.read;
    if (typeof read !== 'function') throw new Error(`${plugin.module} exports no read() function`);
    value = Number(await (read as () => unknown)());
    if (!Number.isFinite(value)) throw new Error(`${plugin.module} read() returned no finite number`);
    source = `plugin:${plugin.name}`;
  }
  return { name: plugin.name.slice(0, 64), value, unit: plugin.unit.slice(0, 16), source: source.slice(0, 128) };
}

/** Sensor readings and the plug-ins that failed (name → reason). */
export type SensorResult = { readings: SensorReading[]; failures: Record<string, string> };

/**
 * Reads thermal zones and every configured plug-in concurrently, each plug-in with its own timeout (80% of the
 * probe timeout), so one broken or slow plug-in costs only its own reading.
 */
export async function readSensorResult(options: CollectOptions): Promise<SensorResult> {
  const timeoutMs = Math.max(1, Math.floor(options.probeTimeoutMs * 0.8));
  const [thermal, plugins] = await Promise.all([
    readThermalZones(options.paths),
    Promise.all(
      options.sensorPlugins.map((plugin) =>
        withTimeout(readPlugin(plugin), timeoutMs, `sensor plug-in ${plugin.name}`).then(
          (reading) => ({ plugin, reading, error: null }),
          (error: unknown) => ({ plugin, reading: null, error: errorMessage(error) }),
        ),
      ),
    ),
  ]);
  const failures: Record<string, string> = {};
  const readings = [...thermal];
  for (const { plugin, reading, error } of plugins) {
    if (reading) readings.push(reading);
    else failures[plugin.name] = error ?? 'no reading';
  }
  return { readings: readings.slice(0, 256), failures };
}

/**
 * Sensors probe (seed 001 IV.19): thermal zones plus plug-ins. A failed plug-in's reading is left out (never
 * invented); when sensors are configured and every one of them failed, the probe is unavailable with the reasons.
 */
export async function readSensors(options: CollectOptions): Promise<SensorReading[]> {
  const { readings, failures } = await readSensorResult(options);
  const failed = Object.entries(failures);
  if (readings.length === 0 && failed.length > 0) {
    throw new Error(`no sensor could be read: ${failed.map(([name, reason]) => `${name}: ${reason}`).join('; ')}`);
  }
  return readings;
}
