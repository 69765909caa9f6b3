import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { IPFS_CONFIG_ENV, IPFS_CONFIG_SECRETS, checkIpfsConfig, ipfsConfigShape } from '../../blobs/src';
import { ConfigError } from '../../twin-core/src/config/errors';
import { loadConfig } from '../../twin-core/src/config/loadConfig';

const boolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
]);
const count = z.coerce.number().int().positive();
const MIB = 1024 * 1024;
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits');

/**
 * The oracle's configuration: a JSON file (`--config FILE` or `ORACLE_CONFIG`) and the environment (`ORACLE_` + the
 * key in UPPER_SNAKE case, plus the shared `RPC_URL`, `MQTT_URL` and `IPFS_*`), the environment winning. The `ipfs*`
 * keys are the blob store's (`ipfsConfigShape`, blobs/README.md); `ORACLE_IPFS_LISTEN` wins over `IPFS_LISTEN`.
 */
export const oracleConfigSchema = z.object({
  /** JSON-RPC endpoint of the chain (default the local chain of `npm start`). */
  rpcUrl: z
    .url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s) or ws(s) URL' })
    .default('http://127.0.0.1:8545'),
  /**
   * How long one JSON-RPC request may go unanswered before it fails and is retried, ms (default 30,000). A node that
   * never answers a call (ganache 7 may leave an `eth_estimateGas` made while it mines a block unanswered for good)
   * would otherwise hold anchoring, which signs one transaction at a time, for ethers' default of five minutes.
   */
  rpcTimeoutMs: count.max(600_000).default(30_000),
  /** The oracle's signing key: holds ORACLE_ROLE and pays for anchoring. Never logged. */
  oracleKey: privateKey,
  /** Deployment file with the contract addresses (default deployments/localhost.json). */
  deploymentFile: z.string().min(1).default(join('deployments', 'localhost.json')),
  /** Broker URL: mqtt://, mqtts://, ws:// or wss:// (default mqtt://127.0.0.1:1883). */
  mqttUrl: z
    .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' })
    .default('mqtt://127.0.0.1:1883'),
  mqttUsername: z.string().min(1).optional(),
  /** Never logged. */
  mqttPassword: z.string().min(1).optional(),
  mqttCaFile: z.string().min(1).optional(),
  mqttCertFile: z.string().min(1).optional(),
  mqttKeyFile: z.string().min(1).optional(),
  mqttRejectUnauthorized: boolean.default(true),
  /**
   * Shared-subscription group: oracle instances in one group split the messages (default `oracle`). On a broker with
   * logins (`mqttPassword`) it must be a secret of at least 16 characters shared by the oracle instances only: a broker
   * such as Mosquitto lets any client that may read a topic join any group on it, so a security entity or an API that
   * knew the group would take a share of the oracle's messages (see {@link loadOracleConfig}).
   */
  mqttShareGroup: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
    .default('oracle'),
  /**
   * Subscribe through the shared subscription `$share/<group>/…` (default true) so that instances split the load; false
   * for a broker without shared subscriptions (aedes), with a single oracle instance.
   */
  mqttShared: boolean.default(true),
  /**
   * MQTT client ID (default `oracle-<address>-<random suffix kept in the data directory>`: bound to the oracle's
   * principal, not guessable). The session is persistent (clean start off, one hour expiry), so the broker keeps the
   * oracle's messages while it restarts: give each instance its own ID (its own data directory does).
   */
  mqttClientId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 letters, digits, _, . or -')
    .optional(),
  /** MQTT protocol version: 5 (default) or 4 for brokers without MQTT 5 (shared subscriptions need broker support). */
  mqttProtocolVersion: z.coerce
    .number()
    .pipe(z.union([z.literal(4), z.literal(5)]))
    .default(5),
  /** The blob store: Kubo (`IPFS_API_URL`), or the embedded node under the data directory, offline or networked. */
  ...ipfsConfigShape,
  /** A batch closes at this many snapshots (default 1,024)… */
  batchSize: count.max(65_536).default(1_024),
  /** …or when its oldest snapshot is this old, ms (default 5,000), whichever comes first. */
  batchAgeMs: count.default(5_000),
  /**
   * Batches being anchored at once, at most (default 8): their transactions share blocks. While all are in flight
   * the open batch keeps growing (up to `batchSize`), so a slow chain gives fewer, larger batches.
   */
  anchorConcurrency: count.max(64).default(8),
  /**
   * Worker threads that parse, hash and check the signature of device messages, off the main thread (default: one
   * fewer than the machine's cores, at most 4; 0 checks on the main thread).
   */
  verifyThreads: z.coerce
    .number()
    .int()
    .min(0)
    .max(32)
    .default(Math.min(4, Math.max(0, availableParallelism() - 1))),
  /** Blocks on top of the anchoring transaction before a batch is final (default 1). */
  confirmations: z.coerce.number().int().nonnegative().default(1),
  /**
   * How often the oracle runs the store's upkeep, ms (default 3,600,000: hourly; also once at start): telemetry
   * partitions created ahead and expired ones dropped (`STORE_TELEMETRY_RETENTION_DAYS`,
   * `STORE_TELEMETRY_PARTITIONS_AHEAD`), sequence gaps capped per device and given up when expired
   * (`STORE_MAX_OPEN_GAPS`, `STORE_GAP_EXPIRY_HOURS`). Instances running it at once are serialised by the store.
   */
  maintenanceIntervalMs: count.min(1_000).max(86_400_000).default(3_600_000),
  /**
   * Where the journal and the IPFS blockstore live, and the embedded PostgreSQL server of the index when no
   * `DATABASE_URL` is set (`<dataDir>/postgres`) (default .data/oracle).
   */
  dataDir: z.string().min(1).default(join('.data', 'oracle')),
  /** Largest message accepted, bytes (default 1 MiB); larger ones are refused before parsing. */
  maxPayloadBytes: count.default(1_048_576),
  /**
   * Journal segment size, bytes (default 64 MiB): a segment is closed when the next message would take it past
   * this, and deleted once everything in it is processed.
   */
  journalSegmentBytes: count.min(65_536).default(64 * MIB),
  /**
   * The journal's segments on disk together, at most, bytes (default 1 GiB; at least twice `journalSegmentBytes`
   * and four times `maxPayloadBytes`). When a message would pass it, the oracle stops acknowledging (the broker
   * keeps the messages) until processing frees segments, and logs `acknowledgements held`.
   */
  journalMaxBytes: count.default(1024 * MIB),
  /**
   * Payload bytes journaled but not yet judged and processed, at most, bytes (default 64 MiB): past it the oracle
   * stops acknowledging until the queue drains, which bounds its memory under a flood.
   */
  ingestQueueBytes: count.default(64 * MIB),
  /** Largest difference between a message's time and the oracle's clock, seconds (default 300). */
  maxClockSkewSeconds: count.default(300),
  /**
   * Telemetry readings kept per device in the index, the newest (0 keeps none). Default: no bound per device: the
   * history is kept by age, `STORE_TELEMETRY_RETENTION_DAYS` (30 days) in daily partitions. Every reading also stays
   * on IPFS in its batch.
   */
  telemetryHistory: z.coerce.number().int().min(0).max(10_000).optional(),
  /**
   * Rejected messages kept in the index with their detail, newest first (default 100,000, about 25 MB; the oldest
   * are deleted as new ones arrive). The counts per reason keep every rejection whatever is pruned.
   */
  rejectionsKept: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
});

/** The oracle's validated configuration. */
export type OracleConfig = z.output<typeof oracleConfigSchema>;

/** Environment variable of each config key. */
export const ORACLE_CONFIG_ENV: Record<string, string> = {
  ...IPFS_CONFIG_ENV,
  ...Object.fromEntries(
    Object.keys(oracleConfigSchema.shape).map((key) => [
      `ORACLE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
      key,
    ]),
  ),
  RPC_URL: 'rpcUrl',
  MQTT_URL: 'mqttUrl',
};

/**
 * Loads the oracle configuration, failing with a message naming each bad field and value (keys and passwords
 * redacted).
 *
 * @example
 * const config = loadOracleConfig({ file: process.env.ORACLE_CONFIG })
 */
export function loadOracleConfig(
  parameters: { file?: string | undefined; environment?: NodeJS.ProcessEnv } = {},
): OracleConfig {
  const config = loadConfig({
    schema: oracleConfigSchema.superRefine(checkIpfsConfig),
    env: ORACLE_CONFIG_ENV,
    environment: parameters.environment ?? process.env,
    file: parameters.file,
    fileOptional: false,
    secrets: ['oracleKey', 'mqttPassword', ...IPFS_CONFIG_SECRETS],
    source: 'oracle configuration',
  });
  // Room for a whole segment besides the one being written, and for a few of the largest messages.
  const least = Math.max(2 * config.journalSegmentBytes, 4 * config.maxPayloadBytes);
  if (config.journalMaxBytes < least) {
    throw new ConfigError('oracle configuration', [
      `journalMaxBytes (ORACLE_JOURNAL_MAX_BYTES): must be at least twice journalSegmentBytes and four times ` +
        `maxPayloadBytes, ${least} (got ${config.journalMaxBytes})`,
    ]);
  }
  if (config.mqttShared && config.mqttPassword !== undefined && config.mqttShareGroup.length < MIN_SECRET_SHARE_GROUP) {
    throw new ConfigError('oracle configuration', [
      `mqttShareGroup (ORACLE_MQTT_SHARE_GROUP): on a broker with logins it must be a secret of at least ` +
        `${MIN_SECRET_SHARE_GROUP} characters shared by the oracle instances only (e.g. \`openssl rand -hex 16\`): the ` +
        `broker lets every client that may read a device topic (a security entity, the API) join a group on it and ` +
        `take a share of the oracle's messages; or set ORACLE_MQTT_SHARED=false (got ${config.mqttShareGroup.length} characters)`,
    ]);
  }
  return config;
}

/** The shortest share group the oracle takes on a broker with logins (a secret: nobody else may join it). */
export const MIN_SECRET_SHARE_GROUP = 16;
