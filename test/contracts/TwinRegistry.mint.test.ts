import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { computeDeviceId } from '../../twin-core/src/identity/deviceId';
import {
  hashMintAttestation,
  mintAttestationTypedData,
  signMintAttestation,
} from '../../twin-core/src/signing/mintAttestation';
import {
  attest,
  deviceSignerKey,
  exampleDocuments,
  mintArguments,
  mintCall,
  mintedFixture,
  registryFixture,
  Role,
  State,
} from '../fixtures';

/** A second key, standing for another device or an attacker's own key. */
const OTHER_KEY = ethers.id('another device key') as `0x${string}`;
const OTHER_ADDRESS = new ethers.Wallet(OTHER_KEY).address;

/** {@link registryFixture} with a second manufacturer approved (it holds no brand yet): the would-be squatter. */
async function squatterFixture() {
  const fixture = await registryFixture();
  const { entities, stranger } = fixture;
  await entities.connect(stranger).register(Role.Manufacturer, 'Totally Legit Boards', ethers.ZeroHash, '');
  await entities.approve(stranger.address);
  return { ...fixture, squatter: stranger };
}

describe('TwinRegistry: mint', function () {
  describe('when the brand holder mints with the device attestation', function () {
    it('creates the twin, records its static document and signer, and emits TwinMinted', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.emit(twins, 'TwinMinted')
        .withArgs(twin.deviceId, manufacturer.address, deviceSigner.address, twin.staticHash, twin.staticCid, 0n)
        .and.to.emit(twins, 'Transfer')
        .withArgs(ethers.ZeroAddress, manufacturer.address, twin.deviceId)
        .and.not.to.emit(twins, 'TwinListed');
      const record = await twins.twinOf(twin.deviceId);
      expect(record.owner).to.equal(manufacturer.address);
      expect(record.manufacturer).to.equal(manufacturer.address);
      expect(record.deviceSigner).to.equal(deviceSigner.address);
      expect(record.state).to.equal(State.Active);
      expect(record.forSale).to.equal(false);
      expect(record.price).to.equal(0n);
      expect(record.staticHash).to.equal(twin.staticHash);
      expect(record.updateCount).to.equal(0n);
      expect(await twins.ownerOf(twin.deviceId)).to.equal(manufacturer.address);
      expect(await twins.exists(twin.deviceId)).to.equal(true);
      expect(await twins.totalMinted()).to.equal(1n);
    });

    it('lists the twin at the initial price when one is given', async function () {
      const { twins, manufacturer, twin } = await loadFixture(registryFixture);
      const price = ethers.parseEther('0.25');
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin, { price }))))
        .to.emit(twins, 'TwinListed')
        .withArgs(twin.deviceId, manufacturer.address, price);
      const record = await twins.twinOf(twin.deviceId);
      expect(record.forSale).to.equal(true);
      expect(record.price).to.equal(price);
    });

    it('mints every example device, of every brand the manufacturer holds, each under its own DeviceID', async function () {
      const { twins, manufacturer } = await loadFixture(registryFixture);
      const brands = new Set<string>();
      for (const { document } of exampleDocuments()) {
        const twin = mintArguments(document);
        await twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin)));
        expect(await twins.ownerOf(twin.deviceId)).to.equal(manufacturer.address);
        brands.add(document.identity.manufacturer);
      }
      expect(brands.size).to.be.greaterThan(1);
      expect(await twins.totalMinted()).to.equal(BigInt(exampleDocuments().length));
    });
  });

  describe('when the DeviceID does not match the parameters', function () {
    it('reverts with TwinRegistryDeviceIdMismatch carrying both values', async function () {
      const { twins, manufacturer, twin, document } = await loadFixture(registryFixture);
      const other = computeDeviceId({ ...document.identity, serialNumber: 'another-serial' });
      const args = await mintCall(twins, manufacturer, { ...twin, deviceId: other });
      await expect(twins.connect(manufacturer).mint(...args))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryDeviceIdMismatch')
        .withArgs(other, twin.deviceId);
    });
  });

  describe('when the twin already exists', function () {
    it('reverts with TwinRegistryDuplicateTwin', async function () {
      const { twins, manufacturer, twin } = await loadFixture(mintedFixture);
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryDuplicateTwin')
        .withArgs(twin.deviceId);
    });
  });

  describe('when the caller is not an approved manufacturer', function () {
    it('reverts with TwinRegistryUnauthorizedEntity for an owner, a pending account and a stranger', async function () {
      const { twins, owner, pending, stranger, twin } = await loadFixture(registryFixture);
      for (const caller of [owner, pending, stranger]) {
        await expect(twins.connect(caller).mint(...(await mintCall(twins, caller, twin))))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
          .withArgs(caller.address, Role.Manufacturer);
      }
    });

    it('reverts for a revoked manufacturer, though it still holds the brand', async function () {
      const { twins, entities, manufacturer, twin, document } = await loadFixture(registryFixture);
      await entities.revoke(manufacturer.address, 'licence withdrawn');
      expect(await entities.brandHolder(document.identity.manufacturer)).to.deep.equal([manufacturer.address, false]);
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(manufacturer.address, Role.Manufacturer);
    });
  });

  describe("when the manufacturer does not hold the identity's brand", function () {
    it('reverts with TwinRegistryNotBrandHolder naming the caller and the brand', async function () {
      const { twins, squatter, twin, document } = await loadFixture(squatterFixture);
      await expect(twins.connect(squatter).mint(...(await mintCall(twins, squatter, twin))))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotBrandHolder')
        .withArgs(squatter.address, document.identity.manufacturer);
    });

    it('reverts while its own registration of the brand is pending, and after the registrar revoked it', async function () {
      const { twins, entities, manufacturer, twin, document } = await loadFixture(registryFixture);
      const brand = document.identity.manufacturer;
      await entities.revokeBrand(manufacturer.address, brand, 'trademark dispute');
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotBrandHolder')
        .withArgs(manufacturer.address, brand);
      await entities.connect(manufacturer).registerBrand(brand);
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotBrandHolder')
        .withArgs(manufacturer.address, brand);
    });
  });

  describe('when the attestation is not the device key consenting to this mint', function () {
    it('reverts with TwinRegistryInvalidAttestation for a signature by another key', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      const args = [...(await mintCall(twins, manufacturer, twin))] as Parameters<typeof twins.mint>;
      args[6] = await attest(twins, manufacturer, twin.deviceId, OTHER_KEY);
      await expect(twins.connect(manufacturer).mint(...args))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidAttestation')
        .withArgs(twin.deviceId, deviceSigner.address, OTHER_ADDRESS);
    });

    it('reverts for an attestation given to another manufacturer, chain, registry or device', async function () {
      const { twins, manufacturer, deviceSigner, owner, twin } = await loadFixture(registryFixture);
      const { chainId } = await ethers.provider.getNetwork();
      const registry = await twins.getAddress();
      const base = { deviceId: twin.deviceId, manufacturer: manufacturer.address, chainId, registry };
      const elsewhere = [
        { ...base, manufacturer: owner.address },
        { ...base, chainId: chainId + 1n },
        { ...base, registry: owner.address },
        { ...base, deviceId: twin.deviceId + 1n },
      ];
      for (const parameters of elsewhere) {
        const args = [...(await mintCall(twins, manufacturer, twin))] as Parameters<typeof twins.mint>;
        args[6] = signMintAttestation(deviceSignerKey(), parameters);
        const recovered = ethers.recoverAddress(hashMintAttestation(base), args[6] as string);
        await expect(twins.connect(manufacturer).mint(...args))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidAttestation')
          .withArgs(twin.deviceId, deviceSigner.address, recovered);
      }
    });

    it('reverts when the device signer given is not the key that attested', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      const args = await mintCall(twins, manufacturer, twin, { signer: OTHER_ADDRESS });
      await expect(twins.connect(manufacturer).mint(...args))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidAttestation')
        .withArgs(twin.deviceId, OTHER_ADDRESS, deviceSigner.address);
    });

    it('reverts with the zero address recovered for a malformed or empty attestation', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      for (const malformed of ['0x', `0x${'11'.repeat(64)}`, `0x${'00'.repeat(65)}`]) {
        const args = [...(await mintCall(twins, manufacturer, twin))] as Parameters<typeof twins.mint>;
        args[6] = malformed;
        await expect(twins.connect(manufacturer).mint(...args))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidAttestation')
          .withArgs(twin.deviceId, deviceSigner.address, ethers.ZeroAddress);
      }
    });
  });

  describe('when a newly approved manufacturer squats a device it read off the broker (issue 14)', function () {
    it('cannot mint it, nor take its brand, nor reuse its attestation; the real maker then mints it', async function () {
      const { twins, entities, admin, manufacturer, deviceSigner, squatter, twin, document } = await loadFixture(
        squatterFixture,
      );
      const brand = document.identity.manufacturer;
      // The retained static document gives the squatter every field but the brand and the device's consent; the
      // real maker's attestation is public once it minted anywhere.
      const copied = [...(await mintCall(twins, squatter, twin, { price: 5n * 10n ** 17n }))] as Parameters<
        typeof twins.mint
      >;
      copied[6] = await attest(twins, manufacturer, twin.deviceId);
      await expect(twins.connect(squatter).mint(...copied))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotBrandHolder')
        .withArgs(squatter.address, brand);
      await expect(entities.connect(squatter).registerBrand(brand))
        .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandTaken')
        .withArgs(brand, manufacturer.address);
      // Even holding the brand (say the registrar erred), it would need the device's consent for itself.
      await entities.revokeBrand(manufacturer.address, brand, 'registrar error');
      await entities.connect(squatter).registerBrand(brand);
      await entities.approveBrand(squatter.address, brand);
      const squatting = [...(await mintCall(twins, squatter, twin))] as Parameters<typeof twins.mint>;
      squatting[6] = await attest(twins, manufacturer, twin.deviceId); // the real maker's attestation, replayed
      const recovered = ethers.recoverAddress(
        await twins.mintAttestationDigest(twin.deviceId, squatter.address),
        squatting[6] as string,
      );
      await expect(twins.connect(squatter).mint(...squatting))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidAttestation')
        .withArgs(twin.deviceId, deviceSigner.address, recovered);
      squatting[4] = OTHER_ADDRESS; // its own key as the device signer
      squatting[6] = await attest(twins, squatter, twin.deviceId, OTHER_KEY);
      await expect(twins.connect(squatter).mint(...squatting)).not.to.be.reverted;
      // ... which the registrar disputes and burns; the brand goes back to its maker, who mints the real twin.
      await expect(twins.dispute(twin.deviceId, 'minted by a squatter'))
        .to.emit(twins, 'TwinDisputed')
        .withArgs(twin.deviceId, squatter.address, admin.address, squatter.address, 'minted by a squatter');
      await entities.revokeBrand(squatter.address, brand, 'not its brand');
      await entities.connect(manufacturer).registerBrand(brand);
      await entities.approveBrand(manufacturer.address, brand);
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.emit(twins, 'TwinMinted')
        .withArgs(twin.deviceId, manufacturer.address, deviceSigner.address, twin.staticHash, twin.staticCid, 0n);
    });
  });

  describe('when the parameters are incomplete', function () {
    it('reverts with TwinRegistryInvalidIdentity without MAC or serial', async function () {
      const { twins, manufacturer, twin } = await loadFixture(registryFixture);
      for (const identity of [
        { ...twin.identity, macAddress: '0x000000000000' as const },
        { ...twin.identity, serialNumber: '' },
      ]) {
        const deviceId = await twins.computeDeviceId(identity);
        const args = await mintCall(twins, manufacturer, { ...twin, deviceId, identity });
        await expect(twins.connect(manufacturer).mint(...args)).to.be.revertedWithCustomError(
          twins,
          'TwinRegistryInvalidIdentity',
        );
      }
    });

    it('reverts with TwinRegistryInvalidStaticDocument for a zero hash, an empty or a too long CID', async function () {
      const { twins, manufacturer, twin } = await loadFixture(registryFixture);
      const cases: [`0x${string}`, string, number][] = [
        [ethers.ZeroHash as `0x${string}`, twin.staticCid, twin.staticCid.length],
        [twin.staticHash, '', 0],
        [twin.staticHash, 'b'.repeat(129), 129],
      ];
      for (const [staticHash, staticCid, length] of cases) {
        const args = await mintCall(twins, manufacturer, { ...twin, staticHash, staticCid });
        await expect(twins.connect(manufacturer).mint(...args))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidStaticDocument')
          .withArgs(staticHash, length);
      }
    });

    it('reverts with TwinRegistryInvalidDeviceSigner for the zero address', async function () {
      const { twins, manufacturer, twin } = await loadFixture(registryFixture);
      const args = await mintCall(twins, manufacturer, twin, { signer: ethers.ZeroAddress });
      await expect(twins.connect(manufacturer).mint(...args))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidDeviceSigner')
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe('views', function () {
    it('twinOf reverts with TwinRegistryNonexistentTwin for an unknown DeviceID', async function () {
      const { twins, twin } = await loadFixture(registryFixture);
      await expect(twins.twinOf(twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(twin.deviceId);
      expect(await twins.exists(twin.deviceId)).to.equal(false);
    });

    it('exposes the entity registry it reads roles from', async function () {
      const { twins, entities } = await loadFixture(registryFixture);
      expect(await twins.entityRegistry()).to.equal(await entities.getAddress());
      expect(await twins.name()).to.equal('IoT Device Twin');
      expect(await twins.symbol()).to.equal('TWIN');
    });

    it('mintAttestationDigest is the EIP-712 digest twin-core and ethers compute, in the domain eip712Domain names', async function () {
      const { twins, manufacturer, twin } = await loadFixture(registryFixture);
      const { chainId } = await ethers.provider.getNetwork();
      const parameters = {
        deviceId: twin.deviceId,
        manufacturer: manufacturer.address,
        chainId,
        registry: await twins.getAddress(),
      };
      const typed = mintAttestationTypedData(parameters);
      const digest = await twins.mintAttestationDigest(twin.deviceId, manufacturer.address);
      expect(digest).to.equal(hashMintAttestation(parameters));
      expect(digest).to.equal(
        ethers.TypedDataEncoder.hash(
          typed.domain,
          { MintAttestation: [...typed.types.MintAttestation] },
          typed.message,
        ),
      );
      const domain = await twins.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
        'TwinRegistry',
        '1',
        chainId,
        await twins.getAddress(),
      ]);
    });
  });
});
