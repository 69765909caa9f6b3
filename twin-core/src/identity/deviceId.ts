import { BaseError } from '../errors/BaseError';
import { parseOrThrow } from '../errors/parseOrThrow';
import { hashDeviceIdentity } from './deviceIdHash';
import { deviceIdentityInputSchema, type DeviceIdentity, type DeviceIdentityInput } from './schema';

export {
  encodeDeviceIdentity,
  formatDeviceId,
  hashDeviceIdentity,
  identityToContractStruct,
  InvalidDeviceIdError,
  parseDeviceId,
} from './deviceIdHash';

/** The identity parameters are invalid; the message names each bad field. */
export class InvalidDeviceIdentityError extends BaseError {
  override name = 'InvalidDeviceIdentityError';
}

/**
 * Validates and normalises identity parameters, naming every bad field.
 *
 * @example
 * const identity = parseDeviceIdentity(JSON.parse(text).identity)
 */
export function parseDeviceIdentity(input: unknown): DeviceIdentity {
  return parseOrThrow(
    deviceIdentityInputSchema,
    input,
    'identity',
    (lines) => new InvalidDeviceIdentityError('Invalid device identity.', { metaMessages: lines }),
  );
}

/**
 * The DeviceID: keccak256 of the ABI-encoded identity parameters, exactly as `TwinRegistry.computeDeviceId`
 * computes it on chain. It is the twin's ERC-721 token ID. Accepts raw input and normalises it first.
 *
 * @example
 * const deviceId = computeDeviceId(identity) // 0x… as a bigint
 * formatDeviceId(deviceId) // '0x5f…' (66 characters), the form used in MQTT topics and URLs
 */
export function computeDeviceId(input: DeviceIdentityInput | DeviceIdentity): bigint {
  return hashDeviceIdentity(parseDeviceIdentity(input));
}

