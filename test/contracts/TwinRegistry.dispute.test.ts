import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { mintCall, mintedFixture, ownedFixture, State } from '../fixtures';

const PRICE = ethers.parseEther('1');

describe('TwinRegistry: dispute (the registrar burns a twin minted in error)', function () {
  describe('when the registrar disputes a twin', function () {
    it('burns it: TwinDisputed then Transfer to zero, the record, approval and listing gone', async function () {
      const { twins, admin, owner, secondOwner, manufacturer, twin } = await loadFixture(ownedFixture);
      await twins.connect(owner).approve(secondOwner.address, twin.deviceId);
      await twins.connect(owner).list(twin.deviceId, PRICE);
      await expect(twins.connect(admin).dispute(twin.deviceId, 'the device was never made by this maker'))
        .to.emit(twins, 'TwinDisputed')
        .withArgs(
          twin.deviceId,
          owner.address,
          admin.address,
          manufacturer.address,
          'the device was never made by this maker',
        )
        .and.to.emit(twins, 'Transfer')
        .withArgs(owner.address, ethers.ZeroAddress, twin.deviceId);
      expect(await twins.exists(twin.deviceId)).to.equal(false);
      expect(await twins.balanceOf(owner.address)).to.equal(0n);
      await expect(twins.twinOf(twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(twin.deviceId);
      await expect(twins.getApproved(twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'ERC721NonexistentToken')
        .withArgs(twin.deviceId);
      await expect(twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE }))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(twin.deviceId);
      expect(await twins.totalMinted()).to.equal(1n);
    });

    it('leaves balances alone: proceeds of the earlier sale stay with the seller', async function () {
      const { twins, admin, manufacturer, twin, price } = await loadFixture(ownedFixture);
      await twins.connect(admin).dispute(twin.deviceId, 'minted in error');
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(price);
      expect(await twins.balanceOf(manufacturer.address)).to.equal(0n);
    });

    it('burns a deactivated twin too, and the DeviceID can be minted again with a new attestation', async function () {
      const { twins, admin, manufacturer, deviceSigner, twin } = await loadFixture(mintedFixture);
      await twins.connect(manufacturer).deactivate(twin.deviceId, 'recalled');
      await twins.connect(admin).dispute(twin.deviceId, 'recalled batch minted twice');
      await expect(twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin))))
        .to.emit(twins, 'TwinMinted')
        .withArgs(twin.deviceId, manufacturer.address, deviceSigner.address, twin.staticHash, twin.staticCid, 0n);
      const record = await twins.twinOf(twin.deviceId);
      expect(record.state).to.equal(State.Active);
      expect(record.updateCount).to.equal(0n);
      expect(await twins.totalMinted()).to.equal(2n);
    });
  });

  describe('when the dispute is refused', function () {
    it('reverts with TwinRegistryUnauthorizedDispute for the owner, the manufacturer and a security entity', async function () {
      const { twins, owner, manufacturer, security, twin } = await loadFixture(ownedFixture);
      for (const caller of [owner, manufacturer, security]) {
        await expect(twins.connect(caller).dispute(twin.deviceId, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedDispute')
          .withArgs(twin.deviceId, caller.address);
      }
    });

    it('reverts for a missing twin and for a too long reason', async function () {
      const { twins, admin, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(admin).dispute(3n, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(3n);
      await expect(twins.connect(admin).dispute(twin.deviceId, 'r'.repeat(257)))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
        .withArgs(3, 257);
    });

    it('accepts any registrar, not only the admin', async function () {
      const { twins, entities, stranger, owner, manufacturer, twin } = await loadFixture(ownedFixture);
      await entities.grantRole(await entities.REGISTRAR_ROLE(), stranger.address);
      await expect(twins.connect(stranger).dispute(twin.deviceId, 'minted in error'))
        .to.emit(twins, 'TwinDisputed')
        .withArgs(twin.deviceId, owner.address, stranger.address, manufacturer.address, 'minted in error');
    });
  });
});
