import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3';

/**
 * The two primitives every signature check and identity hash of the registry reduces to. The default backend is
 * pure JavaScript (`@noble/hashes`, `@noble/curves`), so twin-core runs anywhere, the device included; a process that
 * checks many signatures (the oracle, the security service) installs faster implementations of the same functions
 * with {@link setCryptoBackend} once at start (see `oracle/src/crypto/useFastCrypto.ts`).
 */
export type CryptoBackend = {
  /** What the backend is, for logs and stats: `javascript` or the names of the accelerated parts. */
  name: string;
  /** keccak256 (Ethereum's, not SHA3-256) of `bytes`: 32 bytes. */
  keccak256(bytes: Uint8Array): Uint8Array;
  /**
   * The uncompressed public key (65 bytes, 0x04 ‖ x ‖ y) that made a 64-byte compact signature (r ‖ s) of a 32-byte
   * digest with recovery bit 0 or 1, or undefined when no key did (a malformed or invalid signature).
   */
  recoverPublicKey(digest: Uint8Array, compact: Uint8Array, recovery: 0 | 1): Uint8Array | undefined;
  /**
   * The ECDSA signature of a 32-byte digest with a 32-byte private key: compact (r ‖ s, s in the lower half of the
   * order) with its recovery bit, deterministic (RFC 6979), so every backend gives the same bytes.
   */
  sign(digest: Uint8Array, privateKey: Uint8Array): { compact: Uint8Array; recovery: 0 | 1 };
};

/** The pure-JavaScript backend: the default, and the reference the accelerated ones are tested against. */
export const javascriptCryptoBackend: CryptoBackend = {
  name: 'javascript',
  keccak256: (bytes) => keccak_256(bytes),
  recoverPublicKey(digest, compact, recovery) {
    try {
      return secp256k1.Signature.fromCompact(compact)
        .addRecoveryBit(recovery)
        .recoverPublicKey(digest)
        .toRawBytes(false);
    } catch {
      return undefined;
    }
  },
  sign(digest, privateKey) {
    const signature = secp256k1.sign(digest, privateKey, { lowS: true });
    return { compact: signature.toCompactRawBytes(), recovery: signature.recovery as 0 | 1 };
  },
};

let current: CryptoBackend = javascriptCryptoBackend;

/**
 * Installs the process's crypto backend (once at start, before messages are judged). Both functions must give the
 * same results as {@link javascriptCryptoBackend}'s: a backend changes speed, never an answer.
 *
 * @example
 * setCryptoBackend(loadNativeCryptoBackend())
 */
export function setCryptoBackend(backend: CryptoBackend): void {
  current = backend;
}

/** The backend in use. */
export function cryptoBackend(): CryptoBackend {
  return current;
}

/**
 * keccak256 of `bytes` with the process's backend.
 *
 * @example
 * toHex(keccak256(utf8ToBytes('hello')))
 */
export function keccak256(bytes: Uint8Array): Uint8Array {
  return current.keccak256(bytes);
}
