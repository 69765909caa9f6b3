import { secp256k1 } from '@noble/curves/secp256k1';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { cryptoBackend, keccak256 } from '../crypto/cryptoBackend';
import { canonicalJsonWithout } from '../encoding/canonicalJson';
import { fromHex, toHex, type Hex } from '../encoding/hex';
import type { DeviceMessage, UnsignedDeviceMessage } from '../messages/envelope';
import { uncompressedKeyToAddress, type PrivateKey } from './deviceKey';

/** A signed message's two canonical forms: what is stored, and what was signed. */
export type CanonicalMessage = {
  /** RFC 8785 canonical JSON of the whole message, `sig` included: the bytes stored on IPFS (UTF-8). */
  stored: string;
  /** RFC 8785 canonical JSON of the message without `sig`: the signed bytes (UTF-8), whose keccak256 is the hash. */
  signed: string;
  /** keccak256 of the signed bytes: what the EIP-191 signature covers and a snapshot's Merkle leaf commits to. */
  hash: Hex;
};

/**
 * The signature rule, in one place: a message's signed bytes are the RFC 8785 (JCS) canonical JSON, in UTF-8, of
 * the message as received without its top-level `sig` member; its hash is keccak256 of those bytes; `sig` is an
 * EIP-191 (`personal_sign`) signature of that 32-byte hash. Its stored bytes are the canonical JSON of the whole
 * message, `sig` included. Both forms from one pass over the message.
 *
 * @example
 * const { stored, signed, hash } = canonicalMessage(JSON.parse(payload))
 */
export function canonicalMessage(message: object): CanonicalMessage {
  const { whole, without } = canonicalJsonWithout(message as Record<string, unknown>, 'sig');
  return { stored: whole, signed: without, hash: toHex(keccak256(utf8ToBytes(without))) };
}

/**
 * The hash a signer signs: keccak256 of the canonical JSON of the message without its `sig` ({@link
 * canonicalMessage}). Device messages and security alerts are signed this way.
 *
 * @example
 * hashSignedMessage({ v: 1, kind: 'alert', deviceId, by, ts, body })
 */
export function hashSignedMessage(message: object): Hex {
  return canonicalMessage(message).hash;
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
  return { ...message, sig: signHash(hashSignedMessage(message), key) };
}

/**
 * The EIP-191 (`personal_sign`) signature of a 32-byte hash, as the signature rule writes it: r ‖ s ‖ v, s in the
 * lower half of the curve order, v 27 or 28 (deterministic, RFC 6979).
 *
 * @example
 * const sig = signHash(canonicalMessage(unsigned).hash, key)
 */
export function signHash(hash: Hex, key: PrivateKey): Hex {
  const { compact, recovery } = cryptoBackend().sign(eip191Digest(hash), fromHex(key));
  return toHex(concatBytes(compact, new Uint8Array([27 + recovery])));
}

/**
 * The address that signed a message, or undefined when its `sig` is not a canonical signature ({@link
 * recoverHashSigner}). The caller compares it with the expected signer (the twin's `deviceSigner` on chain).
 *
 * @example
 * if (recoverMessageSigner(message) !== twin.deviceSigner) reject('wrong-signer')
 */
export function recoverMessageSigner(message: DeviceMessage | { sig: string }): Hex | undefined {
  return recoverHashSigner(hashSignedMessage(message), message.sig);
}

/** Half the secp256k1 group order: a canonical (EIP-2) signature's `s` is at most this. */
const HALF_CURVE_ORDER = secp256k1.CURVE.n >> 1n;

/**
 * {@link recoverMessageSigner} for a message whose {@link hashSignedMessage} is already known (the oracle keeps it
 * as the snapshot's hash): the address that signed `hash` with `sig`, or undefined when `sig` is not a canonical
 * signature: not 65 bytes, `v` not 27 or 28, `r` or `s` zero or not below the curve order, `s` in the upper half
 * (EIP-2: each signature has one accepted encoding), or no public key recovers. Any other `sig` recovers SOME
 * address: a signature of other bytes, or by another key, or with a flipped bit, recovers an address that is not
 * the signer's, and only the comparison with the expected signer can tell.
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
    if (v !== 27 && v !== 28) return undefined;
    const s = BigInt(toHex(bytes.subarray(32, 64)));
    if (s === 0n || s > HALF_CURVE_ORDER) return undefined;
    const publicKey = cryptoBackend().recoverPublicKey(eip191Digest(hash), bytes.subarray(0, 64), (v - 27) as 0 | 1);
    return publicKey === undefined ? undefined : uncompressedKeyToAddress(publicKey);
  } catch {
    return undefined;
  }
}
