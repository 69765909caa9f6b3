import { join } from 'node:path';
import { z } from 'zod';
import { IPFS_CONFIG_ENV, IPFS_CONFIG_SECRETS, checkIpfsConfig, ipfsConfigShape } from '../../blobs/src';
import { loadConfig } from '../../twin-core/src/config/loadConfig';

const boolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
]);
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits');

/**
 * The API's configuration: a JSON file (`--config FILE` or `API_CONFIG`) and the environment (`API_` + the key in
 * UPPER_SNAKE case, plus the shared `RPC_URL`, `MQTT_URL` and `IPFS_*`), the environment winning. The `ipfs*` keys
 * are the blob store's (`ipfsConfigShape`, blobs/README.md); `API_IPFS_LISTEN` wins over `IPFS_LISTEN`.
 */
export const apiConfigSchema = z.object({
  /** Interface the HTTP server binds (default 127.0.0.1; 0.0.0.0 to serve the network). */
  host: z.string().min(1).default('127.0.0.1'),
  /** HTTP port (default 8080; 0 picks a free one). */
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  /**
   * The public origin users reach the API at (default `http://<host>:<port>`): the Sign-In with Ethereum domain and
   * URI are checked against it, so set it behind a proxy.
   */
  publicUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** JSON-RPC endpoint of the chain (default the local chain of `npm start`). */
  rpcUrl: z
    .url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s) or ws(s) URL' })
    .default('http://127.0.0.1:8545'),
  /** Deployment file with the contract addresses (default deployments/localhost.json). */
  deploymentFile: z.string().min(1).default(join('deployments', 'localhost.json')),
  /**
   * Where a standalone API reads blobs: Kubo (`IPFS_API_URL`), or its own embedded node under `<dataDir>/ipfs` on the
   * private network of instances (`IPFS_SWARM_KEY_FILE`, `IPFS_PEERS` naming the oracle's node). With an oracle in
   * the process (`npm start`, `--with-oracle`) the API shares the oracle's store and these are the oracle's.
   */
  ...ipfsConfigShape,
  /**
   * The API's own files (default .data/api): its embedded IPFS node when it runs alone on the private network, and
   * without `DATABASE_URL` an embedded PostgreSQL of its own under `<dataDir>/postgres` (the index: the store's
   * settings are `DATABASE_URL` and `STORE_*`, store/README.md; the oracle must write to the same database).
   */
  dataDir: z.string().min(1).default(join('.data', 'api')),
  /** Broker the API publishes device commands to (default mqtt://127.0.0.1:1883). */
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
   * The key the API logs in to the broker with (principal `api.<address>`): its account must hold `API_ROLE` on the
   * entity registry (`npx hardhat grant-api`). Default: the relayer's key; without either the API connects with
   * `mqttUsername`/`mqttPassword` only, which a broker of the registry refuses. Never logged.
   */
  mqttKey: privateKey.optional(),
  /**
   * MQTT protocol: 4 (3.1.1) or 5 (default 4). With 5 a command carries a response topic and correlation data; the
   * device's answer comes on `twins/{deviceId}/reply` either way.
   */
  mqttProtocolVersion: z.coerce
    .number()
    .pipe(z.union([z.literal(4), z.literal(5)]))
    .default(4),
  /**
   * The relayer's key: submits users' signed EIP-712 requests through the forwarder and pays their gas. Without it
   * the relay endpoints answer 503. Never logged.
   */
  relayerKey: privateKey.optional(),
  /** Largest gas a relayed request may ask for (default 1,000,000). */
  relayMaxGas: z.coerce.number().int().positive().default(1_000_000),
  /**
   * HS256 key of the sign-in tokens, at least 32 characters. Never logged. Default: a random key kept in the index
   * (`shared_secrets`, written by the first instance), so every instance on one database shares it and tokens survive
   * a restart; set it to keep the key out of the database.
   */
  jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Lifetime of a sign-in token, seconds (default 900). */
  tokenTtlSeconds: z.coerce.number().int().min(30).max(86_400).default(900),
  /** Origins allowed by CORS, comma-separated, `*` for any (default none: same origin only). */
  corsOrigins: z
    .union([z.array(z.string()), z.string().transform((value) => value.split(',').map((item) => item.trim()))])
    .default([])
    .transform((origins) => origins.filter((origin) => origin !== '')),
  /** Requests per minute per client address (default 600; the event stream counts once per connection). */
  rateLimitPerMinute: z.coerce.number().int().positive().default(600),
  /** Largest JSON request body, bytes (default 64 KiB). */
  bodyLimitBytes: z.coerce.number().int().min(1_024).max(10_485_760).default(65_536),
  /** Trust `X-Forwarded-For` from this many proxies in front of the API (default 0). */
  trustProxy: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * Memory for IPFS documents the API serves (static documents, snapshots), cached by CID: MiB (default 64; 0 reads
   * IPFS on every request).
   */
  documentCacheMegabytes: z.coerce.number().min(0).max(16_384).default(64),
  /**
   * Development keys the dashboard offers for sign-in, `npm start`'s demo cast only: a JSON array of
   * `{ "label": "Alice (demo owner)", "key": "0x…" }`. When set, `GET /demo/accounts` serves them and `POST /demo/rpc`
   * forwards the page's own transactions to the chain; the API refuses to start with them unless the chain is a local
   * development chain (ID 31337 or 1337). Default: none (neither route exists). Never logged.
   */
  demoAccounts: z
    .union([
      z.string().transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
          return z.NEVER;
        }
      }),
      z.array(z.unknown()),
    ])
    .pipe(z.array(z.strictObject({ label: z.string().min(1).max(64), key: privateKey })).max(16))
    .default([]),
  /**
   * The demo switch: everyone reads device internals (snapshot and telemetry bodies, behaviour labels, alert
   * evidence, notifications) without signing in. Default false: only the twin's owner, its manufacturer and approved
   * security entities do. Shown in `/health` (`reads`).
   */
  openReads: boolean.default(false),
  /**
   * Twin views (`GET /twins/{id}`) kept in memory at most (default 1,000,000; 0 reads the index on every request):
   * each is the response bodies rendered from one statement's rows, dropped when an outbox event changes it
   * (whichever instance wrote). `twinViewCacheMegabytes` is the bound that binds first.
   */
  twinViewCacheEntries: z.coerce.number().int().min(0).max(10_000_000).default(1_000_000),
  /**
   * Memory for cached twin views, MiB (default 256; 0 turns the cache off): their serialised bodies plus 1 KiB an
   * entry; the least recently read go first.
   */
  twinViewCacheMegabytes: z.coerce.number().min(0).max(65_536).default(256),
  /**
   * Read every twin's view into the cache at start, and again after anything emptied it (default true): a page of
   * 500 twins a statement, in the background.
   */
  twinViewCacheWarm: boolean.default(true),
  /**
   * Longest a cached twin view in transit is served, seconds (default 30): one whose latest snapshot's batch is not
   * confirmed, since a batch is formed and then submitted without an outbox event (its confirmation has one). A
   * settled view is kept until an event changes it.
   */
  twinViewCacheTtlSeconds: z.coerce.number().min(0.001).max(3_600).default(30),
  /** Event streams (`GET /events`) one client address may hold open at once (default 4); more are 429. */
  eventStreamsPerClient: z.coerce.number().int().min(1).max(1_000).default(4),
  /** Event streams open at once over all clients (default 1,000); more are 503. */
  eventStreamsMax: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** The relayer's budget window per entity, seconds (default 3,600): gas and requests refill at its end. */
  relayBudgetWindowSeconds: z.coerce.number().int().min(1).max(604_800).default(3_600),
  /** Gas one entity may have relayed per window (default 2,000,000, about 30 relayed `recordUpdate`s). */
  relayBudgetGas: z.coerce.number().int().min(0).default(2_000_000),
  /** Relayed requests one entity may send per window (default 30). */
  relayBudgetRequests: z.coerce.number().int().min(0).default(30),
  /**
   * How long a budget reservation stays open, seconds (default 600): one its instance never settled (it crashed
   * between reserving and the receipt) stays counted at its reserved gas until the end of its window.
   */
  relayReservationSeconds: z.coerce.number().int().min(1).max(86_400).default(600),
  /**
   * Below this balance, ETH, the relayer shows as low in `/health` (default 0.1). A plain decimal of at most 18
   * places: `/health` converts it to wei, and a number JavaScript writes with an exponent (`1e-7`) would not convert.
   */
  relayerLowBalanceEth: z.coerce
    .number()
    .min(0)
    .refine((value) => /^\d+(\.\d{1,18})?$/.test(String(value)), {
      message: 'must be a plain decimal amount of ETH: 0, or 0.000001 up to below 1e21, at most 18 decimal places',
    })
    .default(0.1),
  /** Dry runs (`POST /messages/check`) per client address per minute (default 30). */
  checkMessagePerMinute: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Largest message a dry run takes, bytes (default 1 MiB, the oracle's default `maxPayloadBytes`). */
  checkMessageMaxBytes: z.coerce.number().int().min(1_024).max(16_777_216).default(1_048_576),
});

/** The API's validated configuration. */
export type ApiConfig = z.output<typeof apiConfigSchema>;

/** Environment variable of each config key. */
export const API_CONFIG_ENV: Record<string, string> = {
  ...IPFS_CONFIG_ENV,
  ...Object.fromEntries(
    Object.keys(apiConfigSchema.shape).map((key) => [
      `API_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
      key,
    ]),
  ),
  RPC_URL: 'rpcUrl',
  MQTT_URL: 'mqttUrl',
};

/**
 * Loads the API configuration, failing with a message naming each bad field and value (keys, passwords and the
 * token secret redacted).
 *
 * @example
 * const config = loadApiConfig({ file: process.env.API_CONFIG })
 */
export function loadApiConfig(
  parameters: { file?: string | undefined; environment?: NodeJS.ProcessEnv } = {},
): ApiConfig {
  return loadConfig({
    schema: apiConfigSchema.superRefine(checkIpfsConfig),
    env: API_CONFIG_ENV,
    environment: parameters.environment ?? process.env,
    file: parameters.file,
    fileOptional: false,
    secrets: ['relayerKey', 'mqttKey', 'mqttPassword', 'jwtSecret', 'demoAccounts', ...IPFS_CONFIG_SECRETS],
    source: 'API configuration',
  });
}
