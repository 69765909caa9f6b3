import { createKeccak } from 'hash-wasm';
import {
  javascriptCryptoBackend,
  setCryptoBackend,
  type CryptoBackend,
} from '../../../twin-core/src/crypto/cryptoBackend';

type Secp256k1Addon = {
  ecdsaRecover(signature: Uint8Array, recovery: number, digest: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
};

/** libsecp256k1 through the `secp256k1` package's N-API addon (prebuilt for Linux, macOS and Windows on x64). */
function loadSecp256k1Addon(): Secp256k1Addon | undefined {
  try {
    // `secp256k1/bindings` is the addon alone: the package's main entry would fall back silently to `elliptic`.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('secp256k1/bindings') as Secp256k1Addon;
  } catch {
    return undefined;
  }
}

/**
 * The crypto backend for a process that checks many signatures: keccak256 in WebAssembly (`hash-wasm`, 10–15 times
 * the pure-JavaScript speed on snapshot-sized messages), public-key recovery and signing in libsecp256k1 (about 30
 * times),
 * each falling back to the pure-JavaScript backend where it cannot load. Same answers, other speed: the tests hold
 * every part against {@link javascriptCryptoBackend}.
 *
 * @example
 * const backend = await loadFastCryptoBackend() // backend.name: 'keccak:wasm secp256k1:native'
 */
export async function loadFastCryptoBackend(): Promise<CryptoBackend> {
  const parts: string[] = [];
  let keccak256 = javascriptCryptoBackend.keccak256;
  try {
    const hasher = await createKeccak(256);
    // One hasher, used synchronously from init to digest: safe on one thread.
    keccak256 = (bytes) => hasher.init().update(bytes).digest('binary');
    parts.push('keccak:wasm');
  } catch {
    parts.push('keccak:javascript');
  }
  let recoverPublicKey = javascriptCryptoBackend.recoverPublicKey;
  let sign = javascriptCryptoBackend.sign;
  const addon = loadSecp256k1Addon();
  if (addon) {
    sign = (digest, privateKey) => {
      const { signature, recid } = addon.ecdsaSign(digest, privateKey);
      return { compact: signature, recovery: recid as 0 | 1 };
    };
    recoverPublicKey = (digest, compact, recovery) => {
      try {
        return addon.ecdsaRecover(compact, recovery, digest, false);
      } catch {
        return undefined;
      }
    };
    parts.push('secp256k1:native');
  } else {
    parts.push('secp256k1:javascript');
  }
  return { name: parts.join(' '), keccak256, recoverPublicKey, sign };
}

/**
 * Loads {@link loadFastCryptoBackend} and installs it for the process (idempotent): what the oracle and the security
 * service call at start.
 *
 * @example
 * const { name } = await useFastCrypto()
 */
export async function useFastCrypto(): Promise<CryptoBackend> {
  installed ??= loadFastCryptoBackend().then((backend) => {
    setCryptoBackend(backend);
    return backend;
  });
  return installed;
}

let installed: Promise<CryptoBackend> | undefined;
