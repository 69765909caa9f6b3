import { rawCidV1 } from '../encoding/rawCid';
import type { Hex } from '../encoding/hex';
import { computeDeviceId, identityToContractStruct } from '../identity/deviceId';
import type { StaticDocument } from './schema';
import { encodeStaticDocument, hashStaticDocument } from './staticDocument';

/** What `TwinRegistry.mint` takes from a static document: DeviceID, identity struct, hash and CID. */
export type TwinMintFields = {
  deviceId: bigint;
  identity: ReturnType<typeof identityToContractStruct>;
  staticHash: Hex;
  staticCid: string;
};

/**
 * The fields of `mint` a static document gives (the device signer, the price and the device's attestation are
 * the caller's): its DeviceID, its identity as the contract's struct, its hash and its CID (by default the CIDv1
 * raw/sha2-256 of its canonical bytes, as `ipfs add --cid-version 1 --raw-leaves` gives).
 *
 * @example
 * const fields = twinMintFields(document)
 * await twins.mint(fields.deviceId, fields.identity, fields.staticHash, fields.staticCid, signer, 0n, attestation)
 */
export function twinMintFields(document: StaticDocument, staticCid?: string): TwinMintFields {
  return {
    deviceId: computeDeviceId(document.identity),
    identity: identityToContractStruct(document.identity),
    staticHash: hashStaticDocument(document),
    staticCid: staticCid ?? rawCidV1(encodeStaticDocument(document)),
  };
}
