import { expect } from 'chai';
import { ethers } from 'ethers';
import { formatDeviceId } from '../../twin-core/src/identity/deviceId';
import {
  hashMintAttestation,
  InvalidMintAttestationError,
  mintAttestationTypedData,
  recoverMintAttestationSigner,
  signMintAttestation,
} from '../../twin-core/src/signing/mintAttestation';
import { privateKeyToAddress } from '../../twin-core/src/signing/deviceKey';

const KEY = ethers.id('device key under test') as `0x${string}`;
const PARAMETERS = {
  deviceId: 0x5f3a_9c01n << 200n,
  manufacturer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  chainId: 31337,
  registry: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
};

describe('twin-core: mint attestations (EIP-712, the device consenting to its twin)', function () {
  it("hashes exactly as ethers' EIP-712 encoder, over the domain TwinRegistry/1/chain/registry", function () {
    const typed = mintAttestationTypedData(PARAMETERS);
    expect(typed.domain).to.deep.equal({
      name: 'TwinRegistry',
      version: '1',
      chainId: 31337n,
      verifyingContract: PARAMETERS.registry.toLowerCase(),
    });
    expect(typed.primaryType).to.equal('MintAttestation');
    const types = { MintAttestation: [...typed.types.MintAttestation] };
    expect(hashMintAttestation(PARAMETERS)).to.equal(ethers.TypedDataEncoder.hash(typed.domain, types, typed.message));
  });

  it('signs what ethers verifies and what a wallet signing the typed data would produce', async function () {
    const attestation = signMintAttestation(KEY, PARAMETERS);
    expect(attestation).to.match(/^0x[0-9a-f]{130}$/);
    const typed = mintAttestationTypedData(PARAMETERS);
    const types = { MintAttestation: [...typed.types.MintAttestation] };
    expect(ethers.verifyTypedData(typed.domain, types, typed.message, attestation)).to.equal(privateKeyToAddress(KEY));
    const wallet = new ethers.Wallet(KEY);
    expect(await wallet.signTypedData(typed.domain, types, typed.message)).to.equal(attestation);
    expect(recoverMintAttestationSigner(PARAMETERS, attestation)).to.equal(privateKeyToAddress(KEY));
  });

  it('binds every parameter: another manufacturer, chain, registry or device recovers another address', function () {
    const attestation = signMintAttestation(KEY, PARAMETERS);
    const signer = privateKeyToAddress(KEY);
    for (const changed of [
      { ...PARAMETERS, manufacturer: PARAMETERS.registry },
      { ...PARAMETERS, chainId: 1 },
      { ...PARAMETERS, registry: PARAMETERS.manufacturer },
      { ...PARAMETERS, deviceId: PARAMETERS.deviceId + 1n },
    ]) {
      expect(recoverMintAttestationSigner(changed, attestation)).to.not.equal(signer);
    }
  });

  it('takes the DeviceID as text too, and recovers nothing from a malformed signature', function () {
    const asText = { ...PARAMETERS, deviceId: formatDeviceId(PARAMETERS.deviceId) };
    expect(hashMintAttestation(asText)).to.equal(hashMintAttestation(PARAMETERS));
    for (const malformed of ['0x', '0x1234', `0x${'00'.repeat(65)}`, 'not hex', `0x${'11'.repeat(64)}ff`]) {
      expect(recoverMintAttestationSigner(PARAMETERS, malformed), malformed).to.equal(undefined);
    }
  });

  it('names a malformed manufacturer, registry or chain ID', function () {
    const cases: [Partial<typeof PARAMETERS>, string][] = [
      [{ manufacturer: '0x12' }, 'manufacturer'],
      [{ registry: 'registry' }, 'registry'],
      [{ chainId: 0 }, 'chainId'],
    ];
    for (const [change, field] of cases) {
      expect(() => hashMintAttestation({ ...PARAMETERS, ...change }))
        .to.throw(InvalidMintAttestationError)
        .with.property('message')
        .that.contains(field);
    }
  });
});
