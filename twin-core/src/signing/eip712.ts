import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { keccak256 } from '../crypto/cryptoBackend';
import { uintToWord, type Hex } from '../encoding/hex';

/** An EIP-712 domain with the four members every signed structure of the registry uses. */
export type Eip712Domain = { name: string; version: string; chainId: bigint; verifyingContract: Hex };

const DOMAIN_TYPEHASH = keccak256(
  utf8ToBytes('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
);

/**
 * The EIP-712 digest `keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash)` of a structure whose struct hash the
 * caller computed: the one place the domain separator is built (mint attestations, signed commands).
 *
 * @example
 * const digest = eip712Digest(domain, keccak256(concatBytes(TYPEHASH, uintToWord(deviceId), …)))
 */
export function eip712Digest(domain: Eip712Domain, structHash: Uint8Array): Uint8Array {
  const domainSeparator = keccak256(
    concatBytes(
      DOMAIN_TYPEHASH,
      keccak256(utf8ToBytes(domain.name)),
      keccak256(utf8ToBytes(domain.version)),
      uintToWord(domain.chainId),
      uintToWord(BigInt(domain.verifyingContract)),
    ),
  );
  return keccak256(concatBytes(new Uint8Array([0x19, 0x01]), domainSeparator, structHash));
}
