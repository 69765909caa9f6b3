// The DeviceID of an identity already in canonical form, and the DeviceID's text forms, without zod: what the
// device agent imports at run time (issue 17); deviceId.ts validates input first and re-exports these.
import { keccak256 } from '../crypto/cryptoBackend';
import { abiEncodeDynamicTuple } from '../encoding/abiEncode';
import { fromHex, toHex, type Hex } from '../encoding/hex';
import { BaseError } from '../errors/BaseError';
import type { DeviceIdentity } from './schema';

/** A DeviceID given as text is neither 0x + 64 hex digits nor a decimal uint256. */
export class InvalidDeviceIdError extends BaseError {
  override name = 'InvalidDeviceIdError';
}

/** The identity as the contract's `DeviceIdentity` struct takes it (MAC as bytes6, memory as uint64). */
export function identityToContractStruct(identity: DeviceIdentity) {
  return {
    macAddress: `0x${identity.macAddress.replace(/:/g, '')}` as Hex,
    serialNumber: identity.serialNumber,
    manufacturer: identity.manufacturer,
    hardwareModel: identity.hardwareModel,
    hardwareRevision: identity.hardwareRevision,
    memoryBytes: BigInt(identity.memoryBytes),
    osName: identity.osName,
    osVersion: identity.osVersion,
  };
}

/**
 * The identity ABI-encoded as the contract's `DeviceIdentity` struct: `abi.encode((bytes6, string, string, string,
 * string, uint64, string, string))`, the bytes whose keccak256 is the DeviceID.
 *
 * @example
 * toHex(encodeDeviceIdentity(identity)) // '0x0000…0020dca632…'
 */
export function encodeDeviceIdentity(identity: DeviceIdentity): Uint8Array {
  const struct = identityToContractStruct(identity);
  return abiEncodeDynamicTuple([
    { type: 'bytes6', value: fromHex(struct.macAddress) },
    { type: 'string', value: struct.serialNumber },
    { type: 'string', value: struct.manufacturer },
    { type: 'string', value: struct.hardwareModel },
    { type: 'string', value: struct.hardwareRevision },
    { type: 'uint64', value: struct.memoryBytes },
    { type: 'string', value: struct.osName },
    { type: 'string', value: struct.osVersion },
  ]);
}

/**
 * The DeviceID of an identity already checked to be canonical (`deviceIdentitySchema`, or the agent's generated
 * validator of it): keccak256 of its ABI encoding. `computeDeviceId` validates and normalises first.
 *
 * @example
 * hashDeviceIdentity(document.identity) // 0x5949…n
 */
export function hashDeviceIdentity(identity: DeviceIdentity): bigint {
  return BigInt(toHex(keccak256(encodeDeviceIdentity(identity))));
}

/** A DeviceID as 0x + 64 lower-case hex digits: its form in MQTT topics, URLs and files. */
export function formatDeviceId(deviceId: bigint): Hex {
  if (deviceId < 0n || deviceId >= 1n << 256n) throw new InvalidDeviceIdError(`DeviceID out of range: ${deviceId}`);
  return `0x${deviceId.toString(16).padStart(64, '0')}`;
}

/**
 * Reads a DeviceID written as 0x + 64 hex digits or as a decimal uint256.
 *
 * @example
 * parseDeviceId(topic.split('/')[1])
 */
export function parseDeviceId(text: string): bigint {
  const value = text.trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) return BigInt(value);
  if (/^[0-9]{1,78}$/.test(value) && BigInt(value) < 1n << 256n) return BigInt(value);
  throw new InvalidDeviceIdError('Invalid DeviceID.', {
    details: `expected 0x followed by 64 hex digits or a decimal uint256, got ${JSON.stringify(text)}`,
  });
}
