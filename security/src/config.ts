import { join } from 'node:path';
import { z } from 'zod';
import { IPFS_CONFIG_ENV, IPFS_CONFIG_SECRETS, checkIpfsConfig, ipfsConfigShape } from '../../blobs/src';
import { loadConfig } from '../../twin-core/src/config/loadConfig';

const boolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
]);

/**
 * The security-entity service's configuration: a JSON file (`--config FILE` or `SECURITY_CONFIG`) and the environment
 * (`SECURITY_` + the key in UPPER_SNAKE case, plus the shared `RPC_URL`, `MQTT_URL` and `IPFS_*`), the
 * environment winning. The `ipfs*` keys are the blob store's (`ipfsConfigShape`, blobs/README.md).
 */
export const securityConfigSchema = z.object({
  /** The security entity's key: registered and approved with the SecurityEntity role; signs alerts and state changes. Never logged. */
  securityKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits'),
  /** JSON-RPC endpoint of the chain (default the local chain of `npm start`). */
  rpcUrl: z
    .url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s) or ws(s) URL' })
    .default('http://127.0.0.1:8545'),
  /** Deployment file with the contract addresses (default deployments/localhost.json). */
  deploymentFile: z.string().min(1).default(join('deployments', 'localhost.json')),
  /** Broker URL (default mqtt://127.0.0.1:1883): the service reads device telemetry and snapshots, publishes alerts. */
  mqttUrl: z
    .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' })
    .default('mqtt://127.0.0.1:1883'),
  mqttUsername: z.string().min(1).optional(),
  /** Never logged. */
  mqttPassword: z.string().min(1).optional(),
  mqttRejectUnauthorized: boolean.default(true),
  /**
   * Where evidence is stored: Kubo (`IPFS_API_URL`), or the service's own embedded node under `<dataDir>/ipfs` on the
   * private network (`IPFS_SWARM_KEY_FILE`); one of the two unless it shares a process's store (`npm start`).
   */
  ...ipfsConfigShape,
  /**
   * What to do about an alert: `notify` (publish it; the owner is notified) or `suspend` (also suspend the twin on
   * chain, the evidence CID as the reason, when the alert's score reaches `suspendScore`). Default `suspend`.
   */
  policy: z.enum(['notify', 'suspend']).default('suspend'),
  /** Score (0-1) at which `suspend` suspends; 0.5 is the detectors' threshold. Default 0.7. */
  suspendScore: z.coerce.number().min(0).max(1).default(0.7),
  /**
   * A twin this service suspended is reactivated once its owner has requested a review and the device has been
   * within its baseline this long, seconds. Default 120.
   */
  reactivateAfterSeconds: z.coerce.number().positive().default(120),
  /** How often suspended twins are checked for reactivation, ms. Default 5,000. */
  reviewIntervalMs: z.coerce.number().int().min(100).default(5_000),
  /**
   * How often the changed state (each device's baseline and detectors, handled alerts, watched twins) is saved to the
   * store when the service has one (`npm start`, `npm run security`), ms; also saved at stop. Default 5,000: a crash
   * loses at most this much learning.
   */
  stateSaveIntervalMs: z.coerce.number().int().min(100).default(5_000),
  /** Seconds of telemetry before a device is judged (the analyzer's warm-up). Default 600. */
  warmupSeconds: z.coerce.number().positive().default(600),
  /** Telemetry samples before a device is judged. Default 120. */
  warmupSamples: z.coerce.number().int().positive().default(120),
  /** Seconds without abnormal activity after which an alert closes (the analyzer's quiet time). Default 30. */
  quietSeconds: z.coerce.number().positive().default(30),
  /** Largest difference between a message's time and this service's clock, seconds (default 300). */
  maxClockSkewSeconds: z.coerce.number().int().positive().default(300),
  /** Where the service keeps its files (default .data/security). */
  dataDir: z.string().min(1).default(join('.data', 'security')),
});

/** The security service's validated configuration. */
export type SecurityConfig = z.output<typeof securityConfigSchema>;

/** Environment variable of each config key. */
export const SECURITY_CONFIG_ENV: Record<string, string> = {
  ...IPFS_CONFIG_ENV,
  ...Object.fromEntries(
    Object.keys(securityConfigSchema.shape).map((key) => [
      `SECURITY_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
      key,
    ]),
  ),
  RPC_URL: 'rpcUrl',
  MQTT_URL: 'mqttUrl',
};

/**
 * Loads the security service's configuration, failing with a message naming each bad field and value (keys and
 * passwords redacted).
 *
 * @example
 * const config = loadSecurityConfig({ file: process.env.SECURITY_CONFIG })
 */
export function loadSecurityConfig(
  parameters: { file?: string | undefined; environment?: NodeJS.ProcessEnv } = {},
): SecurityConfig {
  return loadConfig({
    schema: securityConfigSchema.superRefine(checkIpfsConfig),
    env: SECURITY_CONFIG_ENV,
    environment: parameters.environment ?? process.env,
    file: parameters.file,
    secrets: ['securityKey', 'mqttPassword', ...IPFS_CONFIG_SECRETS],
    source: 'security service configuration',
  });
}
