import { z } from 'zod';
import { IPFS_CONFIG_ENV, IPFS_CONFIG_SECRETS, checkIpfsConfig } from '../../../blobs/src';
import { loadConfig } from '../../../twin-core/src/config/loadConfig';
import { ORACLE_CONFIG_ENV, oracleConfigSchema } from '../config';

/**
 * The rebuild's configuration: the oracle's keys it needs (the same file, `--config` or `ORACLE_CONFIG`, and the
 * same variables: `RPC_URL`, `ORACLE_DEPLOYMENT_FILE`, `ORACLE_CONFIRMATIONS`, `ORACLE_DATA_DIR`, `IPFS_*`), no
 * oracle key, plus its own `REBUILD_*` settings. The target database is the store's (`DATABASE_URL`, or the embedded
 * server under `<dataDir>/postgres`), as the oracle opens it.
 */
export const rebuildConfigSchema = oracleConfigSchema
  .pick({
    rpcUrl: true,
    rpcTimeoutMs: true,
    deploymentFile: true,
    confirmations: true,
    dataDir: true,
    ipfsApiUrl: true,
    ipfsSwarmKeyFile: true,
    ipfsSwarmKey: true,
    ipfsListen: true,
    ipfsPeers: true,
    ipfsFetchTimeoutMs: true,
    ipfsKeepFetched: true,
  })
  .extend({
    /** How long one manifest or snapshot fetch may take before it is reported as missing, ms (default 30,000). */
    fetchTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
    /** Snapshots of a batch fetched at once (default 8). */
    fetchConcurrency: z.coerce.number().int().min(1).max(64).default(8),
  });

/** The rebuild's validated configuration. */
export type RebuildConfig = z.output<typeof rebuildConfigSchema>;

const KEYS = new Set(Object.keys(rebuildConfigSchema.shape));

/** Environment variable of each rebuild key: the oracle's for the keys it shares, `REBUILD_*` for its own. */
export const REBUILD_CONFIG_ENV: Record<string, string> = {
  ...IPFS_CONFIG_ENV,
  ...Object.fromEntries(Object.entries(ORACLE_CONFIG_ENV).filter(([, key]) => KEYS.has(key))),
  REBUILD_FETCH_TIMEOUT_MS: 'fetchTimeoutMs',
  REBUILD_FETCH_CONCURRENCY: 'fetchConcurrency',
};

/**
 * Loads the rebuild's configuration (an oracle's config file serves: its other keys are ignored), failing with a
 * message naming each bad field.
 *
 * @example
 * const config = loadRebuildConfig({ file: 'oracle.json' })
 */
export function loadRebuildConfig(
  parameters: { file?: string | undefined; environment?: NodeJS.ProcessEnv } = {},
): RebuildConfig {
  return loadConfig({
    schema: rebuildConfigSchema.superRefine(checkIpfsConfig),
    env: REBUILD_CONFIG_ENV,
    environment: parameters.environment ?? process.env,
    file: parameters.file,
    fileOptional: false,
    secrets: [...IPFS_CONFIG_SECRETS],
    source: 'rebuild configuration',
  });
}
