import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { computeDeviceId } from '../../twin-core/src/identity/deviceId';
import { exampleDocuments, mintArguments, mintedFixture, registryFixture, State } from '../fixtures';

describe('TwinRegistry: mint', function () {
  describe('when an approved manufacturer mints with matching parameters', function () {
    it('creates the twin, records its static document and signer, and emits TwinMinted', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      await expect(
        twins
          .connect(manufacturer)
          .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n),
      )
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
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      const price = ethers.parseEther('0.25');
      await expect(
        twins
          .connect(manufacturer)
          .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, price),
      )
        .to.emit(twins, 'TwinListed')
        .withArgs(twin.deviceId, manufacturer.address, price);
      const record = await twins.twinOf(twin.deviceId);
      expect(record.forSale).to.equal(true);
      expect(record.price).to.equal(price);
    });

    it('mints every example device, each under its own DeviceID', async function () {
      const { twins, manufacturer, deviceSigner } = await loadFixture(registryFixture);
      for (const { document } of exampleDocuments()) {
        const twin = mintArguments(document);
        await twins
          .connect(manufacturer)
          .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(manufacturer.address);
      }
      expect(await twins.totalMinted()).to.equal(BigInt(exampleDocuments().length));
    });
  });

  describe('when the DeviceID does not match the parameters', function () {
    it('reverts with TwinRegistryDeviceIdMismatch carrying both values', async function () {
      const { twins, manufacturer, deviceSigner, twin, document } = await loadFixture(registryFixture);
      const other = computeDeviceId({ ...document.identity, serialNumber: 'another-serial' });
      await expect(
        twins
          .connect(manufacturer)
          .mint(other, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n),
      )
        .to.be.revertedWithCustomError(twins, 'TwinRegistryDeviceIdMismatch')
        .withArgs(other, twin.deviceId);
    });
  });

  describe('when the twin already exists', function () {
    it('reverts with TwinRegistryDuplicateTwin', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(mintedFixture);
      await expect(
        twins
          .connect(manufacturer)
          .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n),
      )
        .to.be.revertedWithCustomError(twins, 'TwinRegistryDuplicateTwin')
        .withArgs(twin.deviceId);
    });
  });

  describe('when the caller is not an approved manufacturer', function () {
    it('reverts with TwinRegistryUnauthorizedEntity for an owner, a pending account and a stranger', async function () {
      const { twins, owner, pending, stranger, deviceSigner, twin } = await loadFixture(registryFixture);
      for (const caller of [owner, pending, stranger]) {
        await expect(
          twins
            .connect(caller)
            .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n),
        )
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
          .withArgs(caller.address, 1);
      }
    });

    it('reverts for a revoked manufacturer', async function () {
      const { twins, entities, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      await entities.revoke(manufacturer.address, 'licence withdrawn');
      await expect(
        twins
          .connect(manufacturer)
          .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n),
      )
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(manufacturer.address, 1);
    });
  });

  describe('when the parameters are incomplete', function () {
    it('reverts with TwinRegistryInvalidIdentity without MAC or serial', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      for (const identity of [
        { ...twin.identity, macAddress: '0x000000000000' },
        { ...twin.identity, serialNumber: '' },
      ]) {
        const deviceId = await twins.computeDeviceId(identity);
        await expect(
          twins
            .connect(manufacturer)
            .mint(deviceId, identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n),
        ).to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidIdentity');
      }
    });

    it('reverts with TwinRegistryInvalidStaticDocument for a zero hash, an empty or a too long CID', async function () {
      const { twins, manufacturer, deviceSigner, twin } = await loadFixture(registryFixture);
      const cases: [string, string, number][] = [
        [ethers.ZeroHash, twin.staticCid, twin.staticCid.length],
        [twin.staticHash, '', 0],
        [twin.staticHash, 'b'.repeat(129), 129],
      ];
      for (const [hash, cid, length] of cases) {
        await expect(
          twins.connect(manufacturer).mint(twin.deviceId, twin.identity, hash, cid, deviceSigner.address, 0n),
        )
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidStaticDocument')
          .withArgs(hash, length);
      }
    });

    it('reverts with TwinRegistryInvalidDeviceSigner for the zero address', async function () {
      const { twins, manufacturer, twin } = await loadFixture(registryFixture);
      await expect(
        twins
          .connect(manufacturer)
          .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, ethers.ZeroAddress, 0n),
      )
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
  });
});
