import { z } from 'zod';
import { deviceIdentitySchema } from '../../twin-core/src/identity/schema';
import { BROKER_URL_MESSAGE, coerceAgentConfigInput, isBrokerUrl, type ConfigFieldType } from './configRules';

// The agent configuration's zod schema: the one source of its rules. The device does not load it: the build
// generates a validator from it (agent/build/generateValidators.ts) and config.ts loads the config with that.
// Text from the environment (numbers, booleans, `host:port` lists, `lat,lon`) and the defaults zod cannot carry
// into JSON Schema (the data directory, a file sensor's scale and offset) are the plain-function step
// coerceAgentConfigInput, shared by both paths.

const boolean = z.boolean();
const positive = z.number().positive();
const count = z.number().int().positive();
const path = z.string().min(1);

/** `host:port` pairs, comma-separated in the environment, or an array of objects in the file. */
const tlsServers = z.array(
  z.object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65_535),
    servername: z.string().max(253).optional(),
  }),
);

/** `latitude,longitude` in the environment, or an object in the file. */
const location = z
  .object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
  .nullable();

const sensorPlugin = z.union([
  z.object({
    name: z.string().min(1).max(64),
    unit: z.string().max(16),
    /** File holding a number (sysfs/IIO style); the reading is value × scale + offset. */
    file: path,
    /** Default 1 (set by coerceAgentConfigInput). */
    scale: z.number(),
    /** Default 0 (set by coerceAgentConfigInput). */
    offset: z.number(),
  }),
  z.object({
    name: z.string().min(1).max(64),
    unit: z.string().max(16),
    /** A JavaScript module exporting `read(): number | Promise<number>`. */
    module: path,
  }),
]);

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

const actuatorName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be 1-32 of a-z, 0-9, _ and -');
const actuatorType = z.enum(['switch', 'light', 'fan']);
/** One actuator the device drives: a Linux GPIO line, or the no-hardware driver. */
const actuatorConfig = z.discriminatedUnion('driver', [
  z.strictObject({
    name: actuatorName,
    type: actuatorType,
    driver: z.literal('gpio'),
    /** The GPIO chip (`gpiochip0`, `/dev/gpiochip0` or its label) and line offset. */
    chip: z.string().min(1).max(64),
    line: z.number().int().nonnegative().max(1023),
    /** Default false (set by coerceAgentConfigInput). */
    activeLow: z.boolean(),
  }),
  z.strictObject({ name: actuatorName, type: actuatorType, driver: z.literal('memory') }),
]);
export type ActuatorConfig = z.output<typeof actuatorConfig>;

/**
 * The device agent's configuration: a JSON file (`--config FILE` or `TWIN_AGENT_CONFIG`) and the environment
 * (`TWIN_AGENT_` + the key in UPPER_SNAKE case, e.g. `TWIN_AGENT_MQTT_URL`), the environment winning. Units are in
 * the key names; defaults follow each key.
 */
export const agentConfigShapeSchema = z.object({
  /** Broker URL: mqtt://, mqtts:// (TLS), ws:// or wss:// (default mqtt://127.0.0.1:1883). */
  mqttUrl: z.string().refine(isBrokerUrl, BROKER_URL_MESSAGE).default('mqtt://127.0.0.1:1883'),
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
   * prints it; case does not matter): with it the agent logs in as `device.<DeviceID>` with a token signed by its
   * device key; without it (and without `mqttPassword`) it connects anonymously, which a broker of the registry refuses.
   */
  mqttRealm: z
    .string()
    .regex(/^[0-9]+:0x[0-9a-fA-F]{40}$/, 'must be <chainId>:<TwinRegistry address>')
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
  dataDir: path,
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
  identity: deviceIdentitySchema.partial().default({}),
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
   * Bytes of recently published snapshots, telemetry and static documents kept in memory for the owner's `resend`
   * command (default 4 MiB, the oldest forgotten first; 0 keeps none). The simulator keeps this much for all its
   * devices together. A restart empties it (the outbox keeps what the broker has not acknowledged).
   */
  resendBufferBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
  /**
   * Hours the broker keeps the device's session while it is away (default 0: a clean session at every connect). Above
   * 0 the session persists (`clean: false`; under MQTT 5 its expiry interval): the owner's commands and desired states
   * sent meanwhile (QoS 1) are delivered when the device is back, and obeyed if still unexpired.
   */
  mqttSessionHours: z.number().min(0).max(24 * 7).default(0),
  /** MQTT protocol: 4 (3.1.1) or 5 (default 4; 5 answers commands on their MQTT 5 response topic). */
  mqttProtocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
  /**
   * Oracle keys trusted to sign the twin record (`twins/{deviceId}/twin`), pinned at provisioning: the device learns
   * its owner (whose signed commands it obeys) from the record they sign. Comma-separated addresses in the
   * environment.
   */
  oracleAddresses: z.array(address).max(16).default([]),
  /** A JSON-RPC endpoint (http:// or https://): with `registryAddress`, the owner is read from the chain instead. */
  rpcUrl: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL').optional(),
  /** The TwinRegistry's address (the EIP-712 domain of commands), with `rpcUrl`. */
  registryAddress: address.optional(),
  /** How long an owner read from the chain is trusted, seconds (default 10): a sale applies within that. */
  ownerCacheSeconds: positive.default(10),
  /** Most unexpired command nonces kept (persisted) against replays (default 1,024): commands an hour at most. */
  commandReplayCapacity: count.default(1_024),
  /** How far the device's clock may differ from the signer's when judging a command's expiry, seconds (default 60). */
  commandClockSkewSeconds: z.number().nonnegative().max(600).default(60),
  /** The actuators the device drives (JSON in the environment), declared in its capabilities (default none). */
  actuators: z.array(actuatorConfig).max(32).default([]),
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
  captureSnaplenBytes: z.number().int().min(68).max(4096).default(512),
  /** Packets decoded per second at most (default 2,000); beyond it they are only counted, bounding the CPU. */
  captureMaxPacketsPerSec: count.default(2_000),
  /** Count loopback traffic too (default false: it never leaves the device). */
  captureIncludeLoopback: boolean.default(false),
  /** TCP connections, destinations and flows tracked, each (default 1,024; least recently seen dropped). */
  captureMaxFlows: count.default(1_024),
  /** ICMP, DNS and TLS records kept per snapshot, each (default 64; the rest counted as dropped). */
  captureMaxRecords: z.number().int().min(0).max(1024).default(64),
  /** Outgoing packets to one destination closer than this are one burst for the inter-arrival metrics, ms (default 50). */
  captureBurstGapMs: positive.default(50),
  /** Flows listed per snapshot from the capture and from conntrack, each (default 256; at most 4,096). */
  flowLimit: z.number().int().min(1).max(4096).default(256),
  /** Roots the collectors read (tests and containers move them). */
  procRoot: path.default('/proc'),
  sysRoot: path.default('/sys'),
  etcRoot: path.default('/etc'),
  devRoot: path.default('/dev'),
});

/** What JSON Schema says each top-level key is, for coerceAgentConfigInput (the generated validator carries the same). */
export const agentConfigFieldTypes: Record<string, ConfigFieldType> = fieldTypesOf(agentConfigShapeSchema);

function fieldTypesOf(schema: z.ZodObject): Record<string, ConfigFieldType> {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' }) as {
    properties: Record<string, { type?: string; anyOf?: { type?: string }[] }>;
  };
  return Object.fromEntries(
    Object.entries(json.properties).map(([key, property]) => [
      key,
      (property.type ?? property.anyOf?.find((option) => option.type !== 'null')?.type ?? 'unknown') as ConfigFieldType,
    ]),
  );
}

/**
 * The device agent's configuration as zod checks it: the environment's text and the file's values through
 * coerceAgentConfigInput, then {@link agentConfigShapeSchema}. Used by tests and tools; the device uses the
 * validator generated from the same schema (config.ts).
 */
export const agentConfigSchema = z.preprocess(
  (raw) => coerceAgentConfigInput(raw as Record<string, unknown>, agentConfigFieldTypes),
  agentConfigShapeSchema,
);

/** The agent's validated configuration. */
export type AgentConfig = z.output<typeof agentConfigShapeSchema>;
