import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { exampleDocuments, mintArguments, mintCall, mintedFixture, ownedFixture, registryFixture } from '../fixtures';

const PRICE = ethers.parseEther('1');

/** Every example twin minted by the manufacturer, unlisted. */
async function threeTwinsFixture() {
  const fixture = await registryFixture();
  const { twins, manufacturer } = fixture;
  const all = exampleDocuments().map(({ document }) => mintArguments(document));
  for (const twin of all) await twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin)));
  return { ...fixture, all };
}

describe('TwinRegistry: ERC-721 bookkeeping in the twin and account records', function () {
  describe('balanceOf and totalMinted', function () {
    it('count nothing before the first mint', async function () {
      const { twins, manufacturer } = await loadFixture(registryFixture);
      expect(await twins.totalMinted()).to.equal(0n);
      expect(await twins.balanceOf(manufacturer.address)).to.equal(0n);
    });

    it('follow mints', async function () {
      const { twins, manufacturer, all } = await loadFixture(threeTwinsFixture);
      expect(await twins.totalMinted()).to.equal(BigInt(all.length));
      expect(await twins.balanceOf(manufacturer.address)).to.equal(BigInt(all.length));
    });

    it('reverts with ERC721InvalidOwner for the zero address', async function () {
      const { twins } = await loadFixture(mintedFixture);
      await expect(twins.balanceOf(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(twins, 'ERC721InvalidOwner')
        .withArgs(ethers.ZeroAddress);
    });

    it('keep token counts and proceeds apart in one record: sale, purchase from balance, withdraw', async function () {
      const { twins, manufacturer, owner, secondOwner, all } = await loadFixture(threeTwinsFixture);
      const [first, second] = [all[0]!.deviceId, all[1]!.deviceId];
      await twins.connect(manufacturer).list(first, PRICE);
      await twins.connect(owner).buy(first, { value: PRICE });
      expect(await twins.balanceOf(manufacturer.address)).to.equal(2n);
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(PRICE);
      expect(await twins.balanceOf(owner.address)).to.equal(1n);
      expect(await twins.proceedsOf(owner.address)).to.equal(0n);

      await twins.connect(secondOwner).deposit({ value: 3n * PRICE });
      await twins.connect(manufacturer).list(second, PRICE);
      await twins.connect(secondOwner).buyWithBalance(second, PRICE);
      expect(await twins.balanceOf(secondOwner.address)).to.equal(1n);
      expect(await twins.proceedsOf(secondOwner.address)).to.equal(2n * PRICE);
      expect(await twins.balanceOf(manufacturer.address)).to.equal(1n);
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(2n * PRICE);

      await expect(twins.connect(manufacturer).withdraw()).to.changeEtherBalance(manufacturer, 2n * PRICE);
      expect(await twins.balanceOf(manufacturer.address)).to.equal(1n);
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(0n);

      await twins.connect(secondOwner).transferFrom(secondOwner.address, owner.address, second);
      expect(await twins.balanceOf(secondOwner.address)).to.equal(0n);
      expect(await twins.proceedsOf(secondOwner.address)).to.equal(2n * PRICE);
      expect(await twins.balanceOf(owner.address)).to.equal(2n);
    });
  });

  describe('ownerOf', function () {
    it('reads the twin record, and reverts with ERC721NonexistentToken for an unknown DeviceID', async function () {
      const { twins, owner, twin } = await loadFixture(ownedFixture);
      expect(await twins.ownerOf(twin.deviceId)).to.equal(owner.address);
      expect((await twins.twinOf(twin.deviceId)).owner).to.equal(owner.address);
      await expect(twins.ownerOf(3n)).to.be.revertedWithCustomError(twins, 'ERC721NonexistentToken').withArgs(3n);
      await expect(twins.getApproved(3n)).to.be.revertedWithCustomError(twins, 'ERC721NonexistentToken').withArgs(3n);
    });
  });

  describe('token approvals', function () {
    it('let the approved account transfer, once: the transfer clears the approval', async function () {
      const { twins, owner, secondOwner, security: relayer, twin } = await loadFixture(ownedFixture);
      await twins.connect(owner).approve(relayer.address, twin.deviceId);
      expect(await twins.getApproved(twin.deviceId)).to.equal(relayer.address);
      await twins.connect(relayer).transferFrom(owner.address, secondOwner.address, twin.deviceId);
      expect(await twins.ownerOf(twin.deviceId)).to.equal(secondOwner.address);
      expect(await twins.getApproved(twin.deviceId)).to.equal(ethers.ZeroAddress);
      await expect(twins.connect(relayer).transferFrom(secondOwner.address, owner.address, twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'ERC721InsufficientApproval')
        .withArgs(relayer.address, twin.deviceId);
    });

    it('do not survive a purchase: the seller’s approved account cannot take the twin from the buyer', async function () {
      const { twins, owner, secondOwner, security: relayer, twin } = await loadFixture(ownedFixture);
      await twins.connect(owner).approve(relayer.address, twin.deviceId);
      await twins.connect(owner).list(twin.deviceId, PRICE);
      await twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE });
      expect(await twins.getApproved(twin.deviceId)).to.equal(ethers.ZeroAddress);
      await expect(twins.connect(relayer).transferFrom(secondOwner.address, owner.address, twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'ERC721InsufficientApproval')
        .withArgs(relayer.address, twin.deviceId);
    });

    it('reverts a transfer naming the wrong current owner with ERC721IncorrectOwner', async function () {
      const { twins, owner, secondOwner, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(owner).transferFrom(secondOwner.address, secondOwner.address, twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'ERC721IncorrectOwner')
        .withArgs(secondOwner.address, twin.deviceId, owner.address);
    });
  });
});
