import { z } from 'zod';
import { loadConfig, type ConfigSourceParameters } from '../../twin-core/src/config/loadConfig';

const count = z.coerce.number().int().positive();

/**
 * The store's configuration: which PostgreSQL server, how many connections, how long a statement or a transaction
 * may take. Environment: `DATABASE_URL` and `STORE_` + the key in UPPER_SNAKE case (see {@link STORE_CONFIG_ENV}).
 * Without `databaseUrl` the store starts the embedded server under `embeddedDataDir`.
 */
export const storeConfigSchema = z.object({
  /**
   * An external PostgreSQL ≥ 15 (`postgres://user:password@host:5432/db`, env `DATABASE_URL`); the password is never
   * logged. Default: none, the embedded server.
   */
  databaseUrl: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  /** Data directory of the embedded server (default `.data/postgres`); initialised on first start. */
  embeddedDataDir: z.string().min(1).default('.data/postgres'),
  /** TCP port of the embedded server on 127.0.0.1 (default 0: a free port chosen at start). */
  embeddedPort: z.coerce.number().int().min(0).max(65_535).default(0),
  /** Connections in this process's pool, at most (default 10). */
  poolSize: count.max(1_000).default(10),
  /** A statement running longer is cancelled, ms (default 30,000); 0 is no limit. */
  statementTimeoutMs: z.coerce.number().int().min(0).default(30_000),
  /** A transaction idle this long between statements is ended by the server, ms (default 60,000); 0 is no limit. */
  idleInTransactionTimeoutMs: z.coerce.number().int().min(0).default(60_000),
  /** Waiting for a free pool connection longer fails, ms (default 10,000). */
  connectTimeoutMs: count.default(10_000),
  /** Attempts of a transaction that hits a serialization failure or deadlock, in all (default 5). */
  transactionAttempts: count.max(100).default(5),
  /**
   * Telemetry readings (the charts' history, `telemetry_readings`) are kept this many days, then their daily partition
   * is dropped (default 30; see {@link maintainTelemetryPartitions}). The latest reading of each device stays.
   */
  telemetryRetentionDays: count.max(36_500).default(30),
  /** Daily partitions of `telemetry_readings` created ahead of today, days (default 3). */
  telemetryPartitionsAhead: z.coerce.number().int().min(0).max(366).default(3),
  /** Open sequence gaps a device keeps at most; beyond, the lowest are given up and counted (default 64). */
  maxOpenGapsPerDevice: count.max(1_000_000).default(64),
  /** An open sequence gap is given up this many hours after its detection (default 24; 0 never). */
  gapExpiryHours: z.coerce.number().min(0).max(876_000).default(24),
  /**
   * Outbox events (the live feed's) are kept this many minutes, then pruned by the upkeep (default 60). The outbox only
   * bridges a feed's reconnect or an SSE client's resume; what it announced stays in the tables.
   */
  eventRetentionMinutes: count.max(525_600).default(60),
});

/** The store's configuration, after validation. */
export type StoreConfig = z.output<typeof storeConfigSchema>;

/** Environment variable for each {@link StoreConfig} key. */
export const STORE_CONFIG_ENV = {
  DATABASE_URL: 'databaseUrl',
  STORE_EMBEDDED_DATA_DIR: 'embeddedDataDir',
  STORE_EMBEDDED_PORT: 'embeddedPort',
  STORE_POOL_SIZE: 'poolSize',
  STORE_STATEMENT_TIMEOUT_MS: 'statementTimeoutMs',
  STORE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 'idleInTransactionTimeoutMs',
  STORE_CONNECT_TIMEOUT_MS: 'connectTimeoutMs',
  STORE_TRANSACTION_ATTEMPTS: 'transactionAttempts',
  STORE_TELEMETRY_RETENTION_DAYS: 'telemetryRetentionDays',
  STORE_TELEMETRY_PARTITIONS_AHEAD: 'telemetryPartitionsAhead',
  STORE_MAX_OPEN_GAPS: 'maxOpenGapsPerDevice',
  STORE_GAP_EXPIRY_HOURS: 'gapExpiryHours',
  STORE_EVENT_RETENTION_MINUTES: 'eventRetentionMinutes',
} as const;

/** Keys whose values never appear in an error message. */
export const STORE_CONFIG_SECRETS = ['databaseUrl'];

/**
 * Loads and validates the store's configuration from the environment (and optionally a JSON file); throws a
 * ConfigError naming each bad field, the database URL redacted.
 *
 * @example
 * const config = loadStoreConfig() // DATABASE_URL, STORE_POOL_SIZE, …
 * const store = await openStore(config)
 */
export function loadStoreConfig(parameters: Omit<ConfigSourceParameters, 'env' | 'secrets'> = {}): StoreConfig {
  return loadConfig({
    schema: storeConfigSchema,
    env: STORE_CONFIG_ENV,
    secrets: STORE_CONFIG_SECRETS,
    source: 'store config',
    ...parameters,
  });
}
