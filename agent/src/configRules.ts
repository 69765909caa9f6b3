import { homedir } from 'node:os';
import { join } from 'node:path';
import { normalizeIdentityInput } from '../../twin-core/src/identity/canonical';

// The agent configuration's rules that JSON Schema cannot say, as plain functions without zod: the zod schema
// (configSchema.ts) and the device's generated validator (config.ts) both use them, so the two paths agree.

/** A JSON Schema type of a top-level config key, as the generated validator records it. */
export type ConfigFieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'unknown';

/** What a bad broker URL is told. */
export const BROKER_URL_MESSAGE = 'must be an mqtt://, mqtts://, ws:// or wss:// URL';

/** Whether `value` is a URL with the mqtt, mqtts, ws or wss scheme (`mqttUrl`). */
export function isBrokerUrl(value: string): boolean {
  try {
    return /^(mqtts?|wss?)$/.test(new URL(value).protocol.replace(/:$/, ''));
  } catch {
    return false;
  }
}

/** The data directory when none is configured: `~/.twin-agent` of the user running the agent. */
export function defaultDataDir(): string {
  return join(homedir(), '.twin-agent');
}

/** `host:port` pairs, comma-separated (the environment's form of `tlsServers`); port 443 when none. */
export function parseTlsServersText(value: string): { host: string; port: number }[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.lastIndexOf(':');
      return { host: at > 0 ? item.slice(0, at) : item, port: at > 0 ? Number(item.slice(at + 1)) : 443 };
    });
}

/** `latitude,longitude` (the environment's form of `location`). */
export function parseLocationText(value: string): { latitude: number | undefined; longitude: number | undefined } {
  const [latitude, longitude] = value.split(',').map((part) => Number(part.trim()));
  return { latitude, longitude };
}

const BOOLEAN_TEXT: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };

/**
 * The configuration as read (file values and environment text) turned into what the schema checks: numbers from
 * text (`"30"` → 30), booleans from `true`/`false`/`1`/`0`, `tlsServers` from `host:port,…`, `location` from
 * `lat,lon`, the identity normalised (trimmed, NFC, canonical MAC), and the defaults JSON Schema cannot carry: the
 * data directory (`~/.twin-agent`) and a file sensor's `scale` 1 and `offset` 0. Anything else is left for the
 * schema to name.
 *
 * @example
 * coerceAgentConfigInput({ snapshotIntervalSeconds: '30' }, { snapshotIntervalSeconds: 'number' })
 */
export function coerceAgentConfigInput(
  raw: Record<string, unknown>,
  fieldTypes: Record<string, ConfigFieldType>,
): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const config: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(config)) {
    const type = fieldTypes[key];
    if (value === undefined) continue;
    if ((type === 'number' || type === 'integer') && typeof value === 'string') config[key] = Number(value);
    else if (type === 'boolean' && typeof value === 'string' && value in BOOLEAN_TEXT) config[key] = BOOLEAN_TEXT[value];
  }
  if (typeof config.tlsServers === 'string') config.tlsServers = parseTlsServersText(config.tlsServers);
  if (typeof config.location === 'string') config.location = parseLocationText(config.location);
  if (typeof config.oracleAddresses === 'string') {
    config.oracleAddresses = config.oracleAddresses
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  if (typeof config.actuators === 'string') config.actuators = parseJsonText(config.actuators);
  if (Array.isArray(config.actuators)) {
    config.actuators = config.actuators.map((actuator: unknown) =>
      actuator !== null && typeof actuator === 'object' && (actuator as { driver?: unknown }).driver === 'gpio'
        ? { activeLow: false, ...(actuator as Record<string, unknown>) }
        : actuator,
    );
  }
  if (config.identity !== undefined) config.identity = normalizeIdentityInput(config.identity);
  if (config.dataDir === undefined) config.dataDir = defaultDataDir();
  if (Array.isArray(config.sensors)) {
    config.sensors = config.sensors.map((sensor: unknown) =>
      sensor !== null && typeof sensor === 'object' && 'file' in sensor
        ? { scale: 1, offset: 0, ...(sensor as Record<string, unknown>) }
        : sensor,
    );
  }
  return config;
}

/** JSON text (the environment's form of `actuators`); text that is not JSON is left for the schema to name. */
function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
