import { secp256k1 } from '@noble/curves/secp256k1';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { cryptoBackend, keccak256 } from '../crypto/cryptoBackend';
import { canonicalJson } from '../encoding/canonicalJson';
import { fromHex, toHex, type Hex } from '../encoding/hex';
import type { DeviceMessage, UnsignedDeviceMessage } from '../messages/envelope';
import { uncompressedKeyToAddress, type PrivateKey } from './deviceKey';

/**
 * The hash a signer signs: keccak256 of the canonical JSON of the message without its `sig`. Device messages and
 * security alerts are signed this way.
 *
 * @example
 * hashSignedMessage({ v: 1, kind: 'alert', deviceId, by, ts, body })
 */
export function hashSignedMessage(message: object): Hex {
  const { sig: _signature, ...unsigned } = message as { sig?: unknown };
  return toHex(keccak256(utf8ToBytes(canonicalJson(unsigned))));
}

/**
 * The hash a device signs: keccak256 of the canonical JSON of the message without its `sig`.
 *
 * @example
 * hashDeviceMessage({ v: 1, kind: 'telemetry', deviceId, seq, ts, body })
 */
export function hashDeviceMessage(message: UnsignedDeviceMessage | DeviceMessage): Hex {
  return hashSignedMessage(message);
}

/** EIP-191 (`personal_sign`) digest of a 32-byte hash: what `ethers.verifyMessage(getBytes(hash), sig)` checks. */
function eip191Digest(hash: Hex): Uint8Array {
  const bytes = fromHex(hash);
  return keccak256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes));
}

/**
 * Signs a message with the device key: an EIP-191 signature (r ‖ s ‖ v, v = 27/28) over its canonical hash.
 *
 * @example
 * const message = signDeviceMessage({ v: 1, kind: 'status', deviceId, seq, ts, body }, key)
 */
export function signDeviceMessage<message extends UnsignedDeviceMessage>(
  message: message,
  key: PrivateKey,
): message & { sig: Hex } {
  return signMessage(message, key);
}

/**
 * Signs any JSON message (EIP-191 over {@link hashSignedMessage}), e.g. a security alert with the entity's key.
 *
 * @example
 * const alert = signMessage({ v: 1, kind: 'alert', deviceId, by, ts, body }, securityKey)
 */
export function signMessage<message extends object>(message: message, key: PrivateKey): message & { sig: Hex } {
  const signature = secp256k1.sign(eip191Digest(hashSignedMessage(message)), fromHex(key), { lowS: true });
  const bytes = concatBytes(signature.toCompactRawBytes(), new Uint8Array([27 + signature.recovery]));
  return { ...message, sig: toHex(bytes) };
}

/**
 * The address that signed a device message, or undefined when the signature is malformed. The caller compares it
 * with the twin's `deviceSigner` on chain.
 *
 * @example
 * if (recoverMessageSigner(message) !== twin.deviceSigner) reject('bad-signature')
 */
export function recoverMessageSigner(message: DeviceMessage | { sig: string }): Hex | undefined {
  return recoverHashSigner(hashSignedMessage(message), message.sig);
}

/**
 * {@link recoverMessageSigner} for a message whose {@link hashSignedMessage} is already known (the oracle keeps it
 * as the snapshot's hash): the address that signed `hash` with `sig`, or undefined when the signature is malformed.
 *
 * @example
 * const hash = hashDeviceMessage(message)
 * const signer = recoverHashSigner(hash, message.sig)
 */
export function recoverHashSigner(hash: Hex, sig: string): Hex | undefined {
  try {
    const bytes = fromHex(sig);
    if (bytes.length !== 65) return undefined;
    const v = bytes[64]!;
    const recovery = v >= 27 ? v - 27 : v;
    if (recovery !== 0 && recovery !== 1) return undefined;
    const publicKey = cryptoBackend().recoverPublicKey(eip191Digest(hash), bytes.subarray(0, 64), recovery);
    return publicKey === undefined ? undefined : uncompressedKeyToAddress(publicKey);
  } catch {
    return undefined;
  }
}
