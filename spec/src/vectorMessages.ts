import { utf8ToBytes } from '@noble/hashes/utils';
import { keccak256 } from '../../twin-core/src/crypto/cryptoBackend';
import { toHex, type Hex } from '../../twin-core/src/encoding/hex';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import type { DeviceIdentity } from '../../twin-core/src/identity/schema';
import {
  MESSAGE_SCHEMA_VERSION,
  type DeviceMessage,
  type SnapshotMessage,
  type StaticMessage,
  type StatusMessage,
  type TelemetryMessage,
} from '../../twin-core/src/messages/envelope';
import { available, unavailable } from '../../twin-core/src/messages/probe';
import type { SnapshotBody } from '../../twin-core/src/messages/snapshot';
import type { TelemetryBody } from '../../twin-core/src/messages/telemetry';
import { privateKeyToAddress, type PrivateKey } from '../../twin-core/src/signing/deviceKey';
import { signDeviceMessage } from '../../twin-core/src/signing/messageSignature';
import type { StaticDocument } from '../../twin-core/src/static/schema';

/** A published test key, derived from a label: never a real device's. */
export function testKey(label: string): PrivateKey {
  return toHex(keccak256(utf8ToBytes(`twin-registry spec test key: ${label}`)));
}

/** The vectors' device key, and another (a forger's). */
export const DEVICE_KEY = testKey('device');
export const OTHER_KEY = testKey('another device');
export const DEVICE_ADDRESS = privateKeyToAddress(DEVICE_KEY);

/** When the vectors' messages were made; the oracle receives them a second later. */
export const VECTOR_TIME = '2026-01-01T00:00:00.000Z';
export const RECEIVED_AT = '2026-01-01T00:00:01.000Z';

/**
 * The vectors' device: not a Raspberry Pi and not running the agent (a third-party weather station), so its
 * identity has non-ASCII text (UTF-8 in the ABI encoding) and most snapshot probes say why they are unavailable.
 */
export const IDENTITY: DeviceIdentity = {
  macAddress: 'dc:a6:32:12:34:56',
  serialNumber: '10000000c0ffee42',
  manufacturer: 'Ølstrup Électronique ApS',
  hardwareModel: 'Weather Station WS-2 (ESP32-S3)',
  hardwareRevision: '2.1',
  memoryBytes: 8_388_608,
  osName: 'Zephyr RTOS',
  osVersion: '3.7.0',
};

export const DEVICE_ID: Hex = formatDeviceId(computeDeviceId(IDENTITY));

export const STATIC_DOCUMENT: StaticDocument = {
  schemaVersion: 1,
  collectedAt: VECTOR_TIME,
  identity: IDENTITY,
  hardware: { architecture: 'xtensa', cpuModel: 'Xtensa LX7 dual-core 240 MHz', cpuCores: 2 },
  os: { type: 'Zephyr', release: '3.7.0', hostname: 'ws2-garden' },
  network: { staticIp: null },
};

const NETWORK_BEHAVIOUR = {
  intervalSeconds: 10,
  packetsInPerSec: 1.2,
  packetsOutPerSec: 0.9,
  bytesInPerSec: 310.5,
  bytesOutPerSec: 122,
  protocolMix: { tcp: 0.75, udp: 0.25, icmp: 0 },
  newConnectionsPerSec: 0.1,
  failedConnectionsPerSec: 0,
  resetsPerSec: 0,
  retransmitsPerSec: 0,
  establishedConnections: 1,
  dnsQueriesPerSec: 0.1,
  tlsHandshakesPerSec: 0.1,
  meanSessionSeconds: null,
  latencyMs: 23.25,
  jitterMs: null,
  meanPayloadBytes: 134.1,
  payloadSizeEntropyBits: null,
  meanInterArrivalMs: 1_000,
  interArrivalCv: 0.30000000000000004,
  unavailable: {
    meanSessionSeconds: 'no session tracking in the network stack',
    jitterMs: 'one latency sample per interval',
    payloadSizeEntropyBits: 'payload sizes are not sampled',
  },
} satisfies TelemetryBody['network'];

/** Sensors: units in UTF-8 (°, ³), a number JCS writes with an exponent (1e-7), a classic 0.1 + 0.2. */
const SENSORS = [
  { name: 'temperature', value: 21.5, unit: '°C', source: 'plugin:bme280' },
  { name: 'humidity', value: 0.1 + 0.2, unit: 'ratio', source: 'plugin:bme280' },
  { name: 'radon', value: 1e-7, unit: 'kBq/m³', source: 'plugin:rd200' },
];

export const TELEMETRY_BODY: TelemetryBody = {
  cpuPercent: 12.5,
  memoryUsedPercent: 33.333333333333336,
  load1: null,
  processCount: 14,
  network: NETWORK_BEHAVIOUR,
  sensors: SENSORS,
};

const NO_LINUX = 'not a Linux device: no /proc';
export const SNAPSHOT_BODY: SnapshotBody = {
  collectedAt: VECTOR_TIME,
  collectionMs: 3.75,
  owner: { ownerId: 'Jürgen’s orchard 🍎', location: { latitude: 55.6761, longitude: 12.5683 } },
  system: available({
    hostname: 'ws2-garden',
    uptimeSeconds: 86_400.5,
    bootTime: '2025-12-31T00:00:00.000Z',
    loadAverage: [0, 0, 0],
  }),
  processes: unavailable(NO_LINUX),
  memory: unavailable(NO_LINUX),
  disks: unavailable('no block devices'),
  filesystems: unavailable('no mounted filesystems'),
  kernelLog: unavailable(NO_LINUX),
  usb: available([]),
  pci: unavailable('no PCI bus'),
  activity: unavailable(NO_LINUX),
  ipc: unavailable('no System V IPC'),
  network: unavailable(NO_LINUX),
  sharedLibraries: unavailable('statically linked firmware'),
  icmp: unavailable(NO_LINUX),
  arp: available([{ ip: '192.168.1.1', mac: 'e4:5f:01:77:88:99', device: 'wlan0', flags: '0x2', kind: 'dynamic' }]),
  dns: {
    config: available({ nameservers: ['192.168.1.1'], search: [], options: [] }),
    cache: unavailable('no DNS cache'),
  },
  tls: available([]),
  sensors: available(SENSORS),
  networkBehaviour: available(NETWORK_BEHAVIOUR),
};

/** The sequence numbers: one counter for every kind, the offline will announced by the online status. */
export const SEQ = { static: 1, will: 2, status: 3, telemetry: 4, snapshot: 5 } as const;

function envelope<kind extends DeviceMessage['kind']>(kind: kind, seq: number) {
  return { v: MESSAGE_SCHEMA_VERSION, kind, deviceId: DEVICE_ID, seq, ts: VECTOR_TIME } as const;
}

/** The four signed messages of the vectors, by the device key. */
export function vectorMessages(key: PrivateKey = DEVICE_KEY) {
  return {
    static: signDeviceMessage({ ...envelope('static', SEQ.static), body: STATIC_DOCUMENT }, key) as StaticMessage,
    status: signDeviceMessage(
      {
        ...envelope('status', SEQ.status),
        body: {
          state: 'online',
          agentVersion: 'ws2-fw 4.2.0',
          willSeq: SEQ.will,
          intervals: { snapshotSeconds: 600, telemetrySeconds: 10 },
        },
      },
      key,
    ) as StatusMessage,
    telemetry: signDeviceMessage(
      { ...envelope('telemetry', SEQ.telemetry), body: TELEMETRY_BODY },
      key,
    ) as TelemetryMessage,
    snapshot: signDeviceMessage({ ...envelope('snapshot', SEQ.snapshot), body: SNAPSHOT_BODY }, key) as SnapshotMessage,
  };
}

/**
 * JSON as a device might send it: another key order (reversed), indented, non-ASCII escaped (`\u00e9`), numbers
 * in exponent form (`1.25E+1`). The same JSON value as the canonical form, so the same signed bytes: the oracle
 * canonicalises what it receives.
 *
 * @example
 * looseJson({ b: 12.5, a: 'é' }) // '{\n  "b": 1.25E+1,\n  "a": "\\u00e9"\n}'
 */
export function looseJson(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (typeof value === 'number') return value.toExponential().toUpperCase();
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[\n${value.map((item) => `${inner}${looseJson(item, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort().reverse();
    if (keys.length === 0) return '{ }';
    const members = keys.map(
      (key) => `${inner}${looseJson(key)}: ${looseJson((value as Record<string, unknown>)[key], inner)}`,
    );
    return `{\n${members.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
