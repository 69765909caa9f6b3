import { z } from 'zod';
import { configIssueLines, readConfigSources, type ConfigSourceParameters } from './configSources';
import { ConfigError } from './errors';

/** Parameters of {@link loadConfig}. */
export type LoadConfigParameters<schema extends z.ZodType> = ConfigSourceParameters & {
  /** The zod schema of the whole config; its defaults and units are documented on the schema itself. */
  schema: schema;
};

export type { ConfigSourceParameters } from './configSources';
export { configIssueLines, readConfigSources } from './configSources';

/**
 * Loads one process's configuration from a JSON file and the environment, validated by a zod schema.
 * Fails fast with a {@link ConfigError} that names each bad field and its value (secrets redacted).
 *
 * @example
 * const config = loadConfig({ schema: chainConfigSchema, env: { RPC_URL: 'rpcUrl' }, source: 'chain config' })
 */
export function loadConfig<schema extends z.ZodType>(parameters: LoadConfigParameters<schema>): z.output<schema> {
  const { raw, origins } = readConfigSources(parameters);
  const result = parameters.schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    parameters.source ?? 'configuration',
    configIssueLines(result.error.issues, raw, origins, parameters.secrets ?? []),
  );
}
