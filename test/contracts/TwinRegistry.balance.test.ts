import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { mintedFixture, ownedFixture, Role, State } from '../fixtures';
import { signForwardRequest } from '../helpers/forwarder';

const PRICE = ethers.parseEther('1');

/** The twin listed by its manufacturer and the owner's balance funded with exactly the price. */
async function fundedFixture() {
  const fixture = await mintedFixture();
  await fixture.twins.connect(fixture.manufacturer).list(fixture.twin.deviceId, PRICE);
  await fixture.twins.connect(fixture.owner).deposit({ value: PRICE });
  return fixture;
}

describe('TwinRegistry: balance, deposits and purchases paid from it', function () {
  describe('deposit', function () {
    describe('when the caller sends ether', function () {
      it('credits its balance and emits Deposited', async function () {
        const { twins, owner } = await loadFixture(mintedFixture);
        const tx = twins.connect(owner).deposit({ value: PRICE });
        await expect(tx).to.emit(twins, 'Deposited').withArgs(owner.address, PRICE);
        await expect(tx).to.changeEtherBalances([owner, twins], [-PRICE, PRICE]);
        expect(await twins.proceedsOf(owner.address)).to.equal(PRICE);
      });

      it('adds to the sale proceeds in the same balance, and withdraw pays both back', async function () {
        const { twins, manufacturer, price } = await loadFixture(ownedFixture);
        await twins.connect(manufacturer).deposit({ value: 5n });
        expect(await twins.proceedsOf(manufacturer.address)).to.equal(price + 5n);
        await expect(twins.connect(manufacturer).withdraw())
          .to.emit(twins, 'ProceedsWithdrawn')
          .withArgs(manufacturer.address, price + 5n);
        expect(await twins.proceedsOf(manufacturer.address)).to.equal(0n);
      });
    });

    describe('when the caller sends nothing', function () {
      it('reverts with TwinRegistryInvalidDeposit', async function () {
        const { twins, owner } = await loadFixture(mintedFixture);
        await expect(twins.connect(owner).deposit())
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidDeposit')
          .withArgs(0n);
      });
    });
  });

  describe('buyWithBalance', function () {
    describe('when the buyer offers the listed price and its balance covers it', function () {
      it('moves the twin, moves the price from buyer to seller balance and emits TwinPurchased', async function () {
        const { twins, manufacturer, owner, twin } = await loadFixture(fundedFixture);
        const tx = twins.connect(owner).buyWithBalance(twin.deviceId, PRICE);
        await expect(tx)
          .to.emit(twins, 'TwinPurchased')
          .withArgs(twin.deviceId, manufacturer.address, owner.address, PRICE);
        await expect(tx).to.emit(twins, 'Transfer').withArgs(manufacturer.address, owner.address, twin.deviceId);
        await expect(tx).to.changeEtherBalance(twins, 0n);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(owner.address);
        expect(await twins.proceedsOf(owner.address)).to.equal(0n);
        expect(await twins.proceedsOf(manufacturer.address)).to.equal(PRICE);
        expect((await twins.twinOf(twin.deviceId)).forSale).to.equal(false);
      });

      it('spends sale proceeds too, and leaves the rest to withdraw', async function () {
        const { twins, owner, secondOwner, twin } = await loadFixture(ownedFixture);
        await twins.connect(owner).list(twin.deviceId, PRICE / 4n);
        await twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE / 4n });
        await twins.connect(secondOwner).list(twin.deviceId, PRICE / 5n);
        await expect(twins.connect(owner).buyWithBalance(twin.deviceId, PRICE / 5n))
          .to.emit(twins, 'TwinPurchased')
          .withArgs(twin.deviceId, secondOwner.address, owner.address, PRICE / 5n);
        const rest = PRICE / 4n - PRICE / 5n;
        expect(await twins.proceedsOf(owner.address)).to.equal(rest);
        await expect(twins.connect(owner).withdraw()).to.changeEtherBalances([owner, twins], [rest, -rest]);
      });
    });

    describe('when the offered price is not the listed price', function () {
      it('reverts with TwinRegistryIncorrectPayment and keeps the balance, e.g. after a price change', async function () {
        const { twins, manufacturer, owner, twin } = await loadFixture(fundedFixture);
        await twins.connect(manufacturer).list(twin.deviceId, PRICE / 2n);
        await expect(twins.connect(owner).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryIncorrectPayment')
          .withArgs(twin.deviceId, PRICE / 2n, PRICE);
        expect(await twins.proceedsOf(owner.address)).to.equal(PRICE);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(manufacturer.address);
      });
    });

    describe('when the balance does not cover the price', function () {
      it('reverts with TwinRegistryInsufficientBalance, for an empty and a short balance', async function () {
        const { twins, owner, secondOwner, twin } = await loadFixture(fundedFixture);
        await expect(twins.connect(secondOwner).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInsufficientBalance')
          .withArgs(secondOwner.address, 0n, PRICE);
        await twins.connect(owner).withdraw();
        await twins.connect(owner).deposit({ value: PRICE - 1n });
        await expect(twins.connect(owner).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInsufficientBalance')
          .withArgs(owner.address, PRICE - 1n, PRICE);
      });
    });

    describe('when the buyer may not buy or the twin is not for sale', function () {
      it('reverts as buy does: unapproved buyer, self-purchase, unlisted, suspended or missing twin', async function () {
        const { twins, owner, secondOwner, stranger, security, twin } = await loadFixture(ownedFixture);
        await twins.connect(owner).list(twin.deviceId, PRICE);
        for (const buyer of [owner, secondOwner, stranger]) await twins.connect(buyer).deposit({ value: PRICE });
        await expect(twins.connect(stranger).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
          .withArgs(stranger.address, Role.Owner);
        await expect(twins.connect(owner).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistrySelfPurchase')
          .withArgs(twin.deviceId, owner.address);
        await expect(twins.connect(secondOwner).buyWithBalance(9n, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
          .withArgs(9n);
        await twins.connect(security).setState(twin.deviceId, State.Suspended, 'evidence');
        await expect(twins.connect(secondOwner).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinNotActive')
          .withArgs(twin.deviceId, State.Suspended);
        await twins.connect(security).setState(twin.deviceId, State.Active, 'cleared');
        await expect(twins.connect(secondOwner).buyWithBalance(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNotForSale')
          .withArgs(twin.deviceId);
        expect(await twins.proceedsOf(secondOwner.address)).to.equal(PRICE);
      });
    });

    describe('when a relayer submits the buyer’s signed request through the forwarder', function () {
      it('buys for the signer, who pays from its balance and no gas; the relayer pays no price', async function () {
        const { forwarder, twins, manufacturer, owner, relayer, twin } = await loadFixture(fundedFixture);
        const data = twins.interface.encodeFunctionData('buyWithBalance', [twin.deviceId, PRICE]);
        const request = await signForwardRequest(forwarder, owner, await twins.getAddress(), data);
        const tx = forwarder.connect(relayer).execute(request);
        await expect(tx)
          .to.emit(twins, 'TwinPurchased')
          .withArgs(twin.deviceId, manufacturer.address, owner.address, PRICE);
        await expect(tx).to.changeEtherBalances([owner, twins], [0n, 0n]);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(owner.address);
        expect(await twins.proceedsOf(owner.address)).to.equal(0n);
        expect(await twins.proceedsOf(relayer.address)).to.equal(0n);
      });

      it('fails without spending the balance when the price changed after signing', async function () {
        const { forwarder, twins, manufacturer, owner, relayer, twin } = await loadFixture(fundedFixture);
        const data = twins.interface.encodeFunctionData('buyWithBalance', [twin.deviceId, PRICE]);
        const request = await signForwardRequest(forwarder, owner, await twins.getAddress(), data);
        await twins.connect(manufacturer).list(twin.deviceId, PRICE * 2n);
        await expect(forwarder.connect(relayer).execute(request)).to.be.revertedWithCustomError(
          forwarder,
          'FailedCall',
        );
        expect(await twins.proceedsOf(owner.address)).to.equal(PRICE);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(manufacturer.address);
      });
    });
  });
});
