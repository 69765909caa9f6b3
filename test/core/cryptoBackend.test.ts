import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ethers } from 'ethers';
import { useFastCrypto } from '../../oracle/src/crypto/useFastCrypto';
import {
  cryptoBackend,
  javascriptCryptoBackend,
  setCryptoBackend,
  type CryptoBackend,
} from '../../twin-core/src/crypto/cryptoBackend';
import { toHex, type Hex } from '../../twin-core/src/encoding/hex';
import { generatePrivateKey, privateKeyToAddress, publicKeyToAddress } from '../../twin-core/src/signing/deviceKey';
import { hashSignedMessage, recoverMessageSigner, signMessage } from '../../twin-core/src/signing/messageSignature';

const DEVICE_ID = `0x${'ab'.repeat(32)}` as Hex;

describe('crypto backend', function () {
  let fast: CryptoBackend;
  before(async function () {
    fast = await useFastCrypto();
  });
  after(function () {
    // The other tests of this process run with what the oracle installs; keep it installed (idempotent).
    setCryptoBackend(fast);
  });

  it('loads WebAssembly keccak and native secp256k1 on this platform (linux-x64)', function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    expect(fast.name).to.equal('keccak:wasm secp256k1:native');
    expect(cryptoBackend()).to.equal(fast);
  });

  it('hashes exactly as ethers and the JavaScript backend, from empty to 100 kB, with the hasher reused', function () {
    for (const size of [0, 1, 31, 32, 135, 136, 137, 1_000, 100_000]) {
      const bytes = randomBytes(size);
      const expected = ethers.keccak256(bytes);
      expect(toHex(fast.keccak256(bytes))).to.equal(expected, `size ${size}`);
      expect(toHex(javascriptCryptoBackend.keccak256(bytes))).to.equal(expected, `size ${size}`);
    }
  });

  it('recovers the same public key as the JavaScript backend, and nothing from an invalid signature', function () {
    for (let round = 0; round < 20; round++) {
      const wallet = ethers.Wallet.createRandom();
      const digest = randomBytes(32);
      const signature = wallet.signingKey.sign(digest);
      const compact = ethers.getBytes(ethers.concat([signature.r, signature.s]));
      const recovery = (signature.v - 27) as 0 | 1;
      const expected = wallet.signingKey.publicKey;
      expect(toHex(fast.recoverPublicKey(digest, compact, recovery)!)).to.equal(expected);
      expect(toHex(javascriptCryptoBackend.recoverPublicKey(digest, compact, recovery)!)).to.equal(expected);
    }
    const zero = new Uint8Array(64);
    expect(fast.recoverPublicKey(randomBytes(32), zero, 0)).to.equal(undefined);
    expect(javascriptCryptoBackend.recoverPublicKey(randomBytes(32), zero, 0)).to.equal(undefined);
    const overOrder = new Uint8Array(64).fill(0xff);
    expect(fast.recoverPublicKey(randomBytes(32), overOrder, 1)).to.equal(undefined);
    expect(javascriptCryptoBackend.recoverPublicKey(randomBytes(32), overOrder, 1)).to.equal(undefined);
  });

  it('signs exactly as the JavaScript backend and ethers (RFC 6979, low s), the signature recovering the signer', function () {
    for (let round = 0; round < 20; round++) {
      const wallet = ethers.Wallet.createRandom();
      const digest = randomBytes(32);
      const key = ethers.getBytes(wallet.privateKey);
      const native = fast.sign(digest, key);
      const reference = javascriptCryptoBackend.sign(digest, key);
      expect(toHex(native.compact)).to.equal(toHex(reference.compact));
      expect(native.recovery).to.equal(reference.recovery);
      const expected = wallet.signingKey.sign(digest);
      expect(toHex(native.compact)).to.equal(ethers.concat([expected.r, expected.s]));
      expect(27 + native.recovery).to.equal(expected.v);
      expect(toHex(fast.recoverPublicKey(digest, native.compact, native.recovery)!)).to.equal(
        wallet.signingKey.publicKey,
      );
    }
  });

  for (const backend of ['javascript', 'fast'] as const) {
    describe(`when the ${backend} backend is installed`, function () {
      beforeEach(function () {
        setCryptoBackend(backend === 'fast' ? fast : javascriptCryptoBackend);
      });

      it("recovers a signed message's signer, and rejects a tampered body or signature", function () {
        const key = generatePrivateKey();
        const message = signMessage(
          { v: 1, kind: 'telemetry', deviceId: DEVICE_ID, seq: 7, ts: '2026-11-21T12:00:00.000Z', body: { cpu: 0.25 } },
          key,
        );
        expect(recoverMessageSigner(message)).to.equal(privateKeyToAddress(key));
        expect(recoverMessageSigner({ ...message, seq: 8 })).to.not.equal(privateKeyToAddress(key));
        const flipped = `${message.sig.slice(0, 10)}${message.sig[10] === '0' ? '1' : '0'}${message.sig.slice(
          11,
        )}` as Hex;
        expect(recoverMessageSigner({ ...message, sig: flipped })).to.not.equal(privateKeyToAddress(key));
        expect(recoverMessageSigner({ ...message, sig: `0x${'00'.repeat(65)}` })).to.equal(undefined);
      });

      it('recovers nothing from a non-canonical encoding of a valid signature: s in the upper half, v 0 or 1', function () {
        const key = generatePrivateKey();
        const message = signMessage(
          { v: 1, kind: 'status', deviceId: DEVICE_ID, seq: 1, ts: '2026-11-21T12:00:00.000Z', body: {} },
          key,
        );
        const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
        const r = message.sig.slice(2, 66);
        const s = BigInt(`0x${message.sig.slice(66, 130)}`);
        const v = Number.parseInt(message.sig.slice(130), 16);
        // (r, n − s, the other v) is the same signature's malleated twin (EIP-2): ECDSA accepts it, the rule does not.
        const malleated = `0x${r}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`;
        const digest = ethers.getBytes(ethers.hashMessage(ethers.getBytes(hashSignedMessage(message))));
        const recovered = cryptoBackend().recoverPublicKey(
          digest,
          ethers.getBytes(malleated).subarray(0, 64),
          v === 27 ? 1 : 0,
        );
        expect(recovered && publicKeyToAddress(recovered)).to.equal(privateKeyToAddress(key));
        expect(recoverMessageSigner({ ...message, sig: malleated })).to.equal(undefined);
        const zeroOne = `${message.sig.slice(0, 130)}${(v - 27).toString(16).padStart(2, '0')}`;
        expect(recoverMessageSigner({ ...message, sig: zeroOne })).to.equal(undefined);
      });
    });
  }
});
