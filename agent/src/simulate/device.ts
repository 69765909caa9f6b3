/**
 * Virtual devices: a deterministic identity, static document, device key, DeviceID and network baseline for each
 * (seed, index). Nothing here is random at run time: the same seed and index always give the same device.
 */
import { keccak_256 } from '@noble/hashes/sha3';
import { utf8ToBytes } from '@noble/hashes/utils';
import { toHex, type Hex } from '../../../twin-core/src/encoding/hex';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import type { DeviceIdentity } from '../../../twin-core/src/identity/schema';
import { isPrivateKey, privateKeyToAddress, type PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import type { StaticDocument } from '../../../twin-core/src/static/schema';
import { parseStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { BOARD_MODELS, ROLES, type BoardModel, type BoardVariant, type OsImage, type Role } from './catalog';
import { drawBaseline, type NetworkBaseline } from './network';
import { createRng, hash32, PURPOSE, seedKey, type Seed, type SeedKey } from './rng';

/** Largest device index: the MAC address holds it in 24 bits, which keeps every virtual MAC unique. */
export const MAX_DEVICE_INDEX = 0xff_ffff;

/** When virtual devices say they read their static parameters, unless told otherwise. */
export const DEFAULT_COLLECTED_AT_MS = Date.UTC(2026, 0, 1);

/** Fixed characteristics a virtual device's snapshots and telemetry are generated from. */
export type DeviceProfile = {
  board: BoardModel;
  variant: BoardVariant;
  image: OsImage;
  role: Role;
  /** Primary interface (`eth0` or `wlan0`) and its IPv4 address in 10.0.0.0/8. */
  interfaceName: 'eth0' | 'wlan0';
  ipv4: string;
  /** Seconds the device had been up when the simulation started. */
  initialUptimeSeconds: number;
  cpuPercent: number;
  memoryPercent: number;
  processCount: number;
  /** Processor temperature at idle, °C. */
  idleTemperature: number;
  /** Root filesystem size, bytes, and its used share. */
  diskBytes: number;
  diskUsed: number;
};

/** One virtual device: what the simulator publishes as, and what a twin is minted with. */
export type VirtualDevice = {
  index: number;
  identity: DeviceIdentity;
  staticDocument: StaticDocument;
  /** The device signer key (derived from seed and index: for simulation only, never for a real device). */
  privateKey: PrivateKey;
  /** The device signer address recorded in the twin at mint. */
  address: Hex;
  /** DeviceID as 0x + 64 hex digits (the token ID and the topic segment). */
  deviceId: Hex;
  hostname: string;
  profile: DeviceProfile;
  baseline: NetworkBaseline;
};

/** Options of {@link createVirtualDevice}. */
export type VirtualDeviceOptions = { collectedAtMs?: number };

/**
 * The simulated device key for (seed, index): keccak256 of a domain-separated label, re-hashed in the (never seen)
 * case it is not a valid secp256k1 scalar.
 *
 * @example
 * deriveSimulatedKey('lab', 0) // '0x…' (64 hex digits), the same on every run
 */
export function deriveSimulatedKey(seed: Seed, index: number): PrivateKey {
  let bytes = keccak_256(utf8ToBytes(`twin-registry/simulator/device-key/v1:${String(seed)}:${index}`));
  let key = toHex(bytes);
  while (!isPrivateKey(key)) {
    bytes = keccak_256(bytes);
    key = toHex(bytes);
  }
  return key;
}

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');

/** A locally administered, unicast MAC (first octet 0x02) holding 16 bits of the seed and the 24-bit index. */
function virtualMac(key: SeedKey, index: number): string {
  const seedBits = key.a & 0xffff;
  const octets = [0x02, seedBits >>> 8, seedBits & 0xff, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff];
  return octets.map((octet) => hex(octet, 2)).join(':');
}

function serialNumber(key: SeedKey, index: number, board: BoardModel): string {
  const word = hash32(key, index, PURPOSE.identity, 1);
  if (board.serialStyle === 'pi') return `10000000${hex(word, 8)}`;
  const tail = hash32(key, index, PURPOSE.identity, 2);
  return `${hex(word, 8)}${hex(tail & 0xffff, 4)}`.toUpperCase();
}

function ipv4(index: number): string {
  const host = index + 16;
  return `10.${(host >>> 16) & 0xff}.${(host >>> 8) & 0xff}.${host & 0xff}`;
}

/**
 * Creates virtual device `index` of a seed: identity (locally administered MAC, serial, a realistic board and OS),
 * a full static document, a derived secp256k1 key, its DeviceID and signer address, and its network baseline.
 *
 * @example
 * const device = createVirtualDevice(42, 0)
 * device.deviceId // '0x…', what `twins/{deviceId}/…` topics use
 * device.address  // '0x…', the twin's deviceSigner
 */
export function createVirtualDevice(seed: Seed, index: number, options: VirtualDeviceOptions = {}): VirtualDevice {
  if (!Number.isInteger(index) || index < 0 || index > MAX_DEVICE_INDEX) {
    throw new RangeError(`device index must be an integer in [0, ${MAX_DEVICE_INDEX}], got ${index}`);
  }
  const key = seedKey(seed);
  const rng = createRng(key, index, PURPOSE.identity);
  const board = rng.pickWeighted(BOARD_MODELS);
  const variant = rng.pick(board.variants);
  const image = rng.pick(board.images);
  const role = rng.pickWeighted(ROLES);
  const hostname = `${role.name}-${String(index).padStart(5, '0')}`;
  const address = ipv4(index);
  const identity: DeviceIdentity = {
    macAddress: virtualMac(key, index),
    serialNumber: serialNumber(key, index, board),
    manufacturer: board.manufacturer,
    hardwareModel: board.model,
    hardwareRevision: variant.revision,
    memoryBytes: variant.memoryBytes,
    osName: image.name,
    osVersion: image.version,
  };
  const staticDocument = parseStaticDocument({
    schemaVersion: 1,
    collectedAt: new Date(options.collectedAtMs ?? DEFAULT_COLLECTED_AT_MS).toISOString(),
    identity,
    hardware: {
      architecture: board.architecture,
      ...(variant.revisionCode === undefined ? {} : { revisionCode: variant.revisionCode }),
      cpuModel: board.cpuModel,
      cpuCores: board.cpuCores,
    },
    os: { type: 'Linux', release: image.release, kernelVersion: image.kernelVersion, family: image.family, hostname },
    network: { staticIp: rng.chance(0.4) ? address : null },
  });
  const memoryMiB = variant.memoryBytes / 1024 / 1024;
  const profile: DeviceProfile = {
    board,
    variant,
    image,
    role,
    interfaceName: board.model.includes('Zero') || rng.chance(0.35) ? 'wlan0' : 'eth0',
    ipv4: address,
    initialUptimeSeconds: Math.floor(rng.logUniform(3600, 60 * 86_400)),
    cpuPercent: rng.logUniform(2, 25) * (board.cpuCores === 1 ? 2 : 1),
    memoryPercent: Math.min(85, rng.uniform(12, 40) * (memoryMiB <= 1024 ? 1.6 : 1)),
    processCount: rng.int(95, 165),
    idleTemperature: rng.uniform(36, 48),
    diskBytes: rng.pick([16, 32, 32, 64, 128]) * 1e9,
    diskUsed: rng.uniform(0.18, 0.7),
  };
  const privateKey = deriveSimulatedKey(seed, index);
  return {
    index,
    identity: staticDocument.identity,
    staticDocument,
    privateKey,
    address: privateKeyToAddress(privateKey),
    deviceId: formatDeviceId(computeDeviceId(staticDocument.identity)),
    hostname,
    profile,
    baseline: drawBaseline(createRng(key, index, PURPOSE.baseline), role.packetRate),
  };
}
