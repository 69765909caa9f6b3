import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors';

/** Parameters of {@link loadConfig}. */
export type LoadConfigParameters<schema extends z.ZodType> = {
  /** The zod schema of the whole config; its defaults and units are documented on the schema itself. */
  schema: schema;
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

/**
 * Loads one process's configuration from a JSON file and the environment, validated by a zod schema.
 * Fails fast with a {@link ConfigError} that names each bad field and its value (secrets redacted).
 *
 * @example
 * const config = loadConfig({ schema: chainConfigSchema, env: { RPC_URL: 'rpcUrl' }, source: 'chain config' })
 */
export function loadConfig<schema extends z.ZodType>(parameters: LoadConfigParameters<schema>): z.output<schema> {
  const { schema, env = {}, environment = process.env, file, fileOptional = false, secrets = [] } = parameters;
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

  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
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
  throw new ConfigError(source, issues);
}
