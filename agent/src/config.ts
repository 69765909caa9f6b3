import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../twin-core/src/config/loadConfig';
import { deviceIdentityInputSchema } from '../../twin-core/src/identity/schema';

const boolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
]);
const positive = z.coerce.number().positive();
const count = z.coerce.number().int().positive();
const path = z.string().min(1);

/** `host:port` pairs, comma-separated in the environment, or an array of objects in the file. */
const tlsServers = z
  .union([
    z.string().transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item) => {
          const at = item.lastIndexOf(':');
          return { host: at > 0 ? item.slice(0, at) : item, port: at > 0 ? Number(item.slice(at + 1)) : 443 };
        }),
    ),
    z.array(z.unknown()),
  ])
  .pipe(
    z.array(
      z.object({
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65_535),
        servername: z.string().max(253).optional(),
      }),
    ),
  );

/** `latitude,longitude` in the environment, or an object in the file. */
const location = z
  .union([
    z.string().transform((value) => {
      const [latitude, longitude] = value.split(',').map((part) => Number(part.trim()));
      return { latitude, longitude };
    }),
    z.unknown(),
  ])
  .pipe(z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) }).nullable());

const sensorPlugin = z.union([
  z.object({
    name: z.string().min(1).max(64),
    unit: z.string().max(16),
    /** File holding a number (sysfs/IIO style); the reading is value × scale + offset. */
    file: path,
    scale: z.number().default(1),
    offset: z.number().default(0),
  }),
  z.object({
    name: z.string().min(1).max(64),
    unit: z.string().max(16),
    /** A JavaScript module exporting `read(): number | Promise<number>`. */
    module: path,
  }),
]);

/**
 * The device agent's configuration: a JSON file (`--config FILE` or `TWIN_AGENT_CONFIG`) and the environment
 * (`TWIN_AGENT_` + the key in UPPER_SNAKE case, e.g. `TWIN_AGENT_MQTT_URL`), the environment winning. Units are in
 * the key names; defaults follow each key.
 */
export const agentConfigSchema = z.object({
  /** Broker URL: mqtt://, mqtts:// (TLS), ws:// or wss:// (default mqtt://127.0.0.1:1883). */
  mqttUrl: z
    .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' })
    .default('mqtt://127.0.0.1:1883'),
  mqttUsername: z.string().min(1).optional(),
  /** Never logged. */
  mqttPassword: z.string().min(1).optional(),
  /** PEM files for TLS: the broker's CA, and the device's client certificate and key. */
  mqttCaFile: path.optional(),
  mqttCertFile: path.optional(),
  mqttKeyFile: path.optional(),
  /** Refuse a broker certificate the CA does not vouch for (default true). */
  mqttRejectUnauthorized: boolean.default(true),
  /**
   * The deployment whose broker the agent logs in to, `<chainId>:<TwinRegistry address>` (`npx hardhat broker-config`
   * prints it): with it the agent logs in as `device.<DeviceID>` with a token signed by its device key; without it
   * (and without `mqttPassword`) it connects anonymously, which a broker of the registry refuses.
   */
  mqttRealm: z
    .string()
    .regex(/^[0-9]+:0x[0-9a-fA-F]{40}$/, 'must be <chainId>:<TwinRegistry address>')
    .transform((value) => value.toLowerCase())
    .optional(),
  /**
   * MQTT client ID (default `device-<DeviceID>-<random suffix kept in the data directory>`: the broker binds it to the
   * device, and nobody can guess it).
   */
  mqttClientId: z.string().min(1).max(128).optional(),
  /** Keep-alive, seconds (default 30). */
  mqttKeepaliveSeconds: count.default(30),
  /** Reconnect backoff: first and longest wait, ms (defaults 1,000 and 30,000). */
  reconnectMinMs: count.default(1_000),
  reconnectMaxMs: count.default(30_000),
  /** Where the device key, the sequence and the outbox live (default ~/.twin-agent). */
  dataDir: path.default(join(homedir(), '.twin-agent')),
  /** Full dynamic snapshot period, seconds (default 30). */
  snapshotIntervalSeconds: positive.default(30),
  /** Telemetry period, seconds (default 1). */
  telemetryIntervalSeconds: positive.default(1),
  /** Static document republished every this many hours (default 24), and at every start. */
  staticIntervalHours: positive.default(24),
  /** Longest one probe may take, ms (default 2,000). */
  probeTimeoutMs: count.default(2_000),
  /** Longest an external command may run, ms (default 1,500). */
  commandTimeoutMs: count.default(1_500),
  /** Process-table rows kept per snapshot (default 256). */
  processLimit: count.default(256),
  /** Sockets kept per snapshot (default 512). */
  socketLimit: count.default(512),
  /** Processes whose shared libraries are listed (default 16, the largest). */
  sharedLibrariesProcessLimit: count.default(16),
  /** Kernel log lines kept (default 50). */
  kernelLogLines: count.default(50),
  /** Owner ID reported in snapshots (seed 001 IV.1), e.g. the owner's entity ID or address. */
  ownerId: z.string().min(1).max(128).nullable().default(null),
  /** Device location (seed 001 IV.2). */
  location: location.default(null),
  /** Identity fields the device cannot read itself (e.g. `manufacturer` on a board without a device tree). */
  identity: deviceIdentityInputSchema.partial().default({}),
  /** Static IP to report when the device has one configured elsewhere than /etc/dhcpcd.conf. */
  staticIp: z.union([z.ipv4(), z.ipv6()]).nullable().optional(),
  /** TLS servers whose certificate, protocol and cipher each snapshot reports (seed 001 IV.17–18). */
  tlsServers: tlsServers.default([]),
  /** Device-specific sensors (wind speed, soil moisture…). */
  sensors: z.array(sensorPlugin).default([]),
  /** Store-and-forward bound: most messages kept while the broker is unreachable (default 100,000). */
  outboxMaxMessages: count.default(100_000),
  /** fsync each stored message (survives power loss; default false: survives a crash). */
  outboxFsync: boolean.default(false),
  /**
   * Packet capture (issue 17): `auto` (default) starts tcpdump at the first network probe, headers only, and reports
   * the capture metrics unavailable with the reason where the device does not allow it (no tcpdump, no
   * CAP_NET_RAW); `off` never captures.
   */
  captureMode: z.enum(['auto', 'off']).default('auto'),
  /** The capture program (default `tcpdump`, Debian's). */
  captureCommand: path.default('tcpdump'),
  /** Interface captured (default `any`: every interface, each packet's direction known). */
  captureInterface: z.string().min(1).max(32).default('any'),
  /** Bytes kept of each packet (default 512: IP/TCP headers and the DNS and TLS hello headers; 68–4,096). */
  captureSnaplenBytes: z.coerce.number().int().min(68).max(4096).default(512),
  /** Packets decoded per second at most (default 2,000); beyond it they are only counted, bounding the CPU. */
  captureMaxPacketsPerSec: count.default(2_000),
  /** Count loopback traffic too (default false: it never leaves the device). */
  captureIncludeLoopback: boolean.default(false),
  /** TCP connections, destinations and flows tracked, each (default 1,024; least recently seen dropped). */
  captureMaxFlows: count.default(1_024),
  /** ICMP, DNS and TLS records kept per snapshot, each (default 64; the rest counted as dropped). */
  captureMaxRecords: z.coerce.number().int().min(0).max(1024).default(64),
  /** Outgoing packets to one destination closer than this are one burst for the inter-arrival metrics, ms (default 50). */
  captureBurstGapMs: positive.default(50),
  /** Flows listed per snapshot from the capture and from conntrack, each (default 256; at most 4,096). */
  flowLimit: z.coerce.number().int().min(1).max(4096).default(256),
  /** Roots the collectors read (tests and containers move them). */
  procRoot: path.default('/proc'),
  sysRoot: path.default('/sys'),
  etcRoot: path.default('/etc'),
  devRoot: path.default('/dev'),
});

/** The agent's validated configuration. */
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Environment variable of each config key: `TWIN_AGENT_` + UPPER_SNAKE. */
export const AGENT_CONFIG_ENV: Record<string, string> = Object.fromEntries(
  Object.keys(agentConfigSchema.shape).map((key) => [
    `TWIN_AGENT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
    key,
  ]),
);

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
  return loadConfig({
    schema: agentConfigSchema,
    env: AGENT_CONFIG_ENV,
    environment: parameters.environment ?? process.env,
    file: parameters.file,
    secrets: ['mqttPassword'],
    source: 'agent configuration',
  });
}
