import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak256 } from '../crypto/cryptoBackend';
import { fromHex, toHex, type Hex } from '../encoding/hex';

/** A secp256k1 private key as 0x + 64 hex digits. */
export type PrivateKey = Hex;

/** A new random device key (from the platform's CSPRNG). */
export function generatePrivateKey(): PrivateKey {
  return toHex(secp256k1.utils.randomPrivateKey());
}

/** Whether `key` is a valid secp256k1 private key in 0x + 64 hex form. */
export function isPrivateKey(key: string): key is PrivateKey {
  return /^0x[0-9a-fA-F]{64}$/.test(key) && secp256k1.utils.isValidPrivateKey(fromHex(key));
}

/** The Ethereum address (EIP-55 checksummed) of an uncompressed or compressed secp256k1 public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Hex {
  return uncompressedKeyToAddress(secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(false));
}

/** {@link publicKeyToAddress} of a key already known to be a valid uncompressed point (0x04 ‖ x ‖ y). */
export function uncompressedKeyToAddress(uncompressed: Uint8Array): Hex {
  const lower = toHex(keccak256(uncompressed.slice(1)).slice(-20)).slice(2);
  const hash = toHex(keccak256(new TextEncoder().encode(lower))).slice(2);
  let checksummed = '0x';
  for (let index = 0; index < lower.length; index++) {
    checksummed += Number.parseInt(hash[index]!, 16) >= 8 ? lower[index]!.toUpperCase() : lower[index]!;
  }
  return checksummed as Hex;
}

/**
 * The device signer address of a private key: what the twin records at mint as `deviceSigner`.
 *
 * @example
 * privateKeyToAddress(key) // '0xAbC…'
 */
export function privateKeyToAddress(key: PrivateKey): Hex {
  return publicKeyToAddress(secp256k1.getPublicKey(fromHex(key), false));
}
