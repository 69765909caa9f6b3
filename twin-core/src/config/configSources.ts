// Reading a process's configuration (a JSON file and the environment) and naming its bad fields, without zod:
// loadConfig.ts validates with a zod schema, the device agent with a validator generated from one (issue 17).
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';

/** Where a configuration comes from: see {@link readConfigSources}. */
export type ConfigSourceParameters = {
  /** Config key for each environment variable read, e.g. `{ RPC_URL: 'rpcUrl' }`. Environment wins over file. */
  env?: Record<string, string>;
  /** The environment to read (default `process.env`). */
  environment?: NodeJS.ProcessEnv;
  /** A JSON file with config keys; missing is fine when `fileOptional`. */
  file?: string | undefined;
  fileOptional?: boolean;
  /** Keys whose values never appear in an error message (keys, passwords). */
  secrets?: string[];
  /** Name used in error messages, e.g. `oracle config`. */
  source?: string;
};

/** One problem a validator found: where (keys from the config's root) and what. */
export type ConfigIssue = { path: readonly PropertyKey[]; message: string };

/**
 * The raw configuration, before validation: the file's keys, then the environment's variables over them, with
 * where each key came from (`TWIN_AGENT_MQTT_URL`, `mqttUrl (in agent.json)`). Throws a {@link ConfigError} when
 * the file cannot be read or is not a JSON object (a syntax error's text is not quoted when there are secrets).
 *
 * @example
 * const { raw, origins } = readConfigSources({ env: { RPC_URL: 'rpcUrl' }, file: 'oracle.json' })
 */
export function readConfigSources(parameters: ConfigSourceParameters): {
  raw: Record<string, unknown>;
  origins: Map<string, string>;
} {
  const { env = {}, environment = process.env, file, fileOptional = false, secrets = [] } = parameters;
  const source = parameters.source ?? 'configuration';
  const raw: Record<string, unknown> = {};
  const origins = new Map<string, string>();

  if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (!fileOptional || (error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError(source, [`file: cannot read ${file} (${(error as Error).message})`]);
      }
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        // The parser's message quotes the text around the error, which may hold a secret.
        const reason = secrets.length > 0 ? '' : ` (${(error as Error).message})`;
        throw new ConfigError(source, [`file: ${file} is not valid JSON${reason}`]);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ConfigError(source, [`file: ${file} must hold a JSON object`]);
      }
      for (const [key, value] of Object.entries(parsed)) {
        raw[key] = value;
        origins.set(key, `${key} (in ${file})`);
      }
    }
  }
  for (const [variable, key] of Object.entries(env)) {
    const value = environment[variable];
    if (value === undefined || value === '') continue;
    raw[key] = value;
    origins.set(key, variable);
  }
  return { raw, origins };
}

/**
 * Each issue as `field: message (got value)`: the field named where it came from (the variable or the file), the
 * value as given, a secret's value `<redacted>`.
 *
 * @example
 * throw new ConfigError(source, configIssueLines(result.error.issues, raw, origins, ['mqttPassword']))
 */
export function configIssueLines(
  issues: readonly ConfigIssue[],
  raw: Record<string, unknown>,
  origins: Map<string, string>,
  secrets: readonly string[],
): string[] {
  return issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const field = [origins.get(key) ?? (key || 'config'), ...issue.path.slice(1).map(String)].join('.');
    const value = issue.path.reduce<unknown>(
      (at, part) => (at as Record<PropertyKey, unknown>)?.[part as PropertyKey],
      raw,
    );
    const shown =
      key === ''
        ? JSON.stringify(
            Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, secrets.includes(k) ? '<redacted>' : v])),
          )
        : secrets.includes(key)
        ? '<redacted>'
        : JSON.stringify(value);
    return `${field}: ${issue.message} (got ${shown})`;
  });
}
