import { ConfigError } from '../../twin-core/src/config/errors';
import { configIssueLines, readConfigSources } from '../../twin-core/src/config/configSources';
import type { AgentConfig } from './configSchema';
import { BROKER_URL_MESSAGE, coerceAgentConfigInput, isBrokerUrl, type ConfigFieldType } from './configRules';
import * as generated from './validate/generated/config';
import { identityIssue, issueOf, type AjvError } from './validate/validators';

// Loading the agent's configuration on the device, without zod (issue 17): the validator is generated at build time
// from the zod schema in configSchema.ts (its keys, units and defaults are documented there), which tests hold
// this loader to.

export type { AgentConfig } from './configSchema';

const FIELD_TYPES = generated.FIELD_TYPES as Record<string, ConfigFieldType>;

/** Environment variable of each config key: `TWIN_AGENT_` + UPPER_SNAKE. */
export const AGENT_CONFIG_ENV: Record<string, string> = Object.fromEntries(
  Object.keys(FIELD_TYPES).map((key) => [`TWIN_AGENT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`, key]),
);

/** The first issue of `config` (coerced), as the zod schema would name it, or undefined when it is valid. */
function configIssue(config: Record<string, unknown>): { path: PropertyKey[]; message: string } | undefined {
  const validate = generated.agentConfig as ((data: unknown) => boolean) & { errors?: AjvError[] | null };
  if (!validate(config)) {
    const issue = issueOf(validate.errors);
    return { path: issue.path === '' ? [] : issue.path.split('.'), message: issue.message };
  }
  if (typeof config.mqttUrl === 'string' && !isBrokerUrl(config.mqttUrl))
    return { path: ['mqttUrl'], message: BROKER_URL_MESSAGE };
  const identity = identityIssue(config.identity as Record<string, unknown>, '');
  if (identity !== undefined) return { path: ['identity', identity.path], message: identity.message };
  return undefined;
}

/**
 * Loads the agent configuration from `file` (optional) and the environment, failing with a message that names the
 * bad field and its value (the password redacted).
 *
 * @example
 * const config = loadAgentConfig({ file: args.config ?? process.env.TWIN_AGENT_CONFIG })
 */
export function loadAgentConfig(
  parameters: { file?: string | undefined; environment?: NodeJS.ProcessEnv } = {},
): AgentConfig {
  const secrets = ['mqttPassword'];
  const source = 'agent configuration';
  const { raw, origins } = readConfigSources({
    env: AGENT_CONFIG_ENV,
    environment: parameters.environment ?? process.env,
    file: parameters.file,
    secrets,
    source,
  });
  const config = coerceAgentConfigInput(raw, FIELD_TYPES);
  const issue = configIssue(config);
  if (issue !== undefined) throw new ConfigError(source, configIssueLines([issue], raw, origins, secrets));
  return config as AgentConfig;
}
