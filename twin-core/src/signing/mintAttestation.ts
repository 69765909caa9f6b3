import { secp256k1 } from '@noble/curves/secp256k1';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { cryptoBackend, keccak256 } from '../crypto/cryptoBackend';
import { fromHex, toHex, uintToWord, type Hex } from '../encoding/hex';
import { BaseError } from '../errors/BaseError';
import { formatDeviceId, parseDeviceId } from '../identity/deviceIdHash';
import { uncompressedKeyToAddress, type PrivateKey } from './deviceKey';
import { eip712Digest } from './eip712';

/** A mint attestation's parameters are malformed; the message names the bad one. */
export class InvalidMintAttestationError extends BaseError {
  override name = 'InvalidMintAttestationError';
}

/**
 * What a device consents to when it signs a mint attestation: that `manufacturer` may create the twin of DeviceID
 * `deviceId` on chain `chainId`, in the TwinRegistry at `registry` (and nowhere else).
 */
export type MintAttestationParameters = {
  /** The device's DeviceID (a bigint, or 0x + 64 hex digits / decimal text). */
  deviceId: bigint | string;
  /** The manufacturer account that will call `mint`. */
  manufacturer: string;
  /** The chain's ID (EIP-155). */
  chainId: number | bigint;
  /** The TwinRegistry contract's address: the EIP-712 domain's `verifyingContract`. */
  registry: string;
};

/** The EIP-712 domain name and version of the TwinRegistry (`EIP712("TwinRegistry", "1")` in the contract). */
export const MINT_ATTESTATION_DOMAIN = { name: 'TwinRegistry', version: '1' } as const;

/** The EIP-712 types of a mint attestation, as `signTypedData` (ethers, wallets) takes them. */
export const MINT_ATTESTATION_TYPES = {
  MintAttestation: [
    { name: 'deviceId', type: 'uint256' },
    { name: 'manufacturer', type: 'address' },
  ],
} as const;

/** A mint attestation as EIP-712 typed data: what a wallet shows and signs. */
export type MintAttestationTypedData = {
  domain: { name: string; version: string; chainId: bigint; verifyingContract: Hex };
  types: typeof MINT_ATTESTATION_TYPES;
  primaryType: 'MintAttestation';
  message: { deviceId: bigint; manufacturer: Hex };
};

const ATTESTATION_TYPEHASH = keccak256(utf8ToBytes('MintAttestation(uint256 deviceId,address manufacturer)'));

function address(value: string, field: string): Hex {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new InvalidMintAttestationError(`Invalid ${field} for a mint attestation.`, {
      details: `expected 0x followed by 40 hex digits, got ${JSON.stringify(value)}`,
    });
  }
  return value.toLowerCase() as Hex;
}

function normalise(parameters: MintAttestationParameters): MintAttestationTypedData {
  const deviceId = typeof parameters.deviceId === 'bigint' ? parameters.deviceId : parseDeviceId(parameters.deviceId);
  formatDeviceId(deviceId); // range check
  const chainId = BigInt(parameters.chainId);
  if (chainId <= 0n || chainId >= 1n << 256n) {
    throw new InvalidMintAttestationError('Invalid chainId for a mint attestation.', {
      details: `expected a positive integer, got ${parameters.chainId}`,
    });
  }
  return {
    domain: {
      ...MINT_ATTESTATION_DOMAIN,
      chainId,
      verifyingContract: address(parameters.registry, 'registry'),
    },
    types: MINT_ATTESTATION_TYPES,
    primaryType: 'MintAttestation',
    message: { deviceId, manufacturer: address(parameters.manufacturer, 'manufacturer') },
  };
}

/**
 * The attestation as EIP-712 typed data, for a signer that is not a raw key (ethers' `signTypedData`, a wallet,
 * a hardware module): signing it gives the same signature as {@link signMintAttestation}.
 *
 * @example
 * const { domain, types, message } = mintAttestationTypedData({ deviceId, manufacturer, chainId, registry })
 * const attestation = await wallet.signTypedData(domain, types, message)
 */
export function mintAttestationTypedData(parameters: MintAttestationParameters): MintAttestationTypedData {
  return normalise(parameters);
}

/**
 * The EIP-712 digest a device key signs: what `TwinRegistry.mintAttestationDigest(deviceId, manufacturer)` returns.
 *
 * @example
 * hashMintAttestation({ deviceId, manufacturer, chainId: 31337, registry }) // '0x…' (32 bytes)
 */
export function hashMintAttestation(parameters: MintAttestationParameters): Hex {
  const { domain, message } = normalise(parameters);
  const structHash = keccak256(
    concatBytes(ATTESTATION_TYPEHASH, uintToWord(message.deviceId), uintToWord(BigInt(message.manufacturer))),
  );
  return toHex(eip712Digest(domain, structHash));
}

/**
 * Signs a mint attestation with the device key: the one way every part of the system (the agent at provisioning,
 * the CLI tasks, the demo, the tests, the benchmarks) produces the `attestation` that `TwinRegistry.mint` checks.
 * Returns 65 bytes, r ‖ s ‖ v (v = 27/28, low s).
 *
 * @example
 * const attestation = signMintAttestation(deviceKey, { deviceId, manufacturer, chainId: 31337, registry })
 */
export function signMintAttestation(key: PrivateKey, parameters: MintAttestationParameters): Hex {
  const signature = secp256k1.sign(fromHex(hashMintAttestation(parameters)), fromHex(key), { lowS: true });
  return toHex(concatBytes(signature.toCompactRawBytes(), new Uint8Array([27 + signature.recovery])));
}

/**
 * The address whose key signed `attestation` for these parameters, or undefined when the signature is malformed:
 * a twin can be minted with it only when this is the device signer given to `mint`.
 *
 * @example
 * if (recoverMintAttestationSigner(parameters, attestation) !== deviceSigner) throw …
 */
export function recoverMintAttestationSigner(
  parameters: MintAttestationParameters,
  attestation: string,
): Hex | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(attestation);
  } catch {
    return undefined;
  }
  if (bytes.length !== 65) return undefined;
  const v = bytes[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  const publicKey = cryptoBackend().recoverPublicKey(
    fromHex(hashMintAttestation(parameters)),
    bytes.subarray(0, 64),
    recovery,
  );
  return publicKey === undefined ? undefined : uncompressedKeyToAddress(publicKey);
}
