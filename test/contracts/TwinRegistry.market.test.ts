import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { mintedFixture, ownedFixture, Role, State } from '../fixtures';

const PRICE = ethers.parseEther('1');

async function listedFixture() {
  const fixture = await mintedFixture();
  await fixture.twins.connect(fixture.manufacturer).list(fixture.twin.deviceId, PRICE);
  return fixture;
}

/** A twin owned by a contract that tries to re-enter the registry when it is paid. */
async function reentrantSellerFixture() {
  const fixture = await ownedFixture();
  const { entities, twins, owner, twin } = fixture;
  const seller = await ethers.deployContract('ReentrantSeller', [await twins.getAddress()]);
  await seller.register(await entities.getAddress(), Role.Owner);
  await entities.approve(await seller.getAddress());
  await twins.connect(owner).transferFrom(owner.address, await seller.getAddress(), twin.deviceId);
  await seller.list(twin.deviceId, PRICE);
  return { ...fixture, seller };
}

describe('TwinRegistry: sale and purchase', function () {
  describe('list', function () {
    describe('when the owner lists an Active twin', function () {
      it('puts it on sale at the price and emits TwinListed; listing again changes the price', async function () {
        const { twins, manufacturer, twin } = await loadFixture(mintedFixture);
        await expect(twins.connect(manufacturer).list(twin.deviceId, PRICE))
          .to.emit(twins, 'TwinListed')
          .withArgs(twin.deviceId, manufacturer.address, PRICE);
        await expect(twins.connect(manufacturer).list(twin.deviceId, PRICE * 2n))
          .to.emit(twins, 'TwinListed')
          .withArgs(twin.deviceId, manufacturer.address, PRICE * 2n);
        const record = await twins.twinOf(twin.deviceId);
        expect(record.forSale).to.equal(true);
        expect(record.price).to.equal(PRICE * 2n);
      });
    });

    describe('when the listing is not allowed', function () {
      it('reverts for a zero price', async function () {
        const { twins, manufacturer, twin } = await loadFixture(mintedFixture);
        await expect(twins.connect(manufacturer).list(twin.deviceId, 0))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidPrice')
          .withArgs(0);
      });

      it('reverts for a caller who is not the owner', async function () {
        const { twins, owner, twin } = await loadFixture(mintedFixture);
        await expect(twins.connect(owner).list(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
          .withArgs(twin.deviceId, owner.address);
      });

      it('reverts for a twin that does not exist', async function () {
        const { twins, manufacturer } = await loadFixture(mintedFixture);
        await expect(twins.connect(manufacturer).list(42n, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
          .withArgs(42n);
      });

      it('reverts for a twin that is not Active', async function () {
        const { twins, manufacturer, security, twin } = await loadFixture(mintedFixture);
        await twins.connect(security).setState(twin.deviceId, State.Suspended, 'cid');
        await expect(twins.connect(manufacturer).list(twin.deviceId, PRICE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinNotActive')
          .withArgs(twin.deviceId, State.Suspended);
      });
    });
  });

  describe('delist', function () {
    it('takes a listed twin off sale and emits TwinDelisted', async function () {
      const { twins, manufacturer, twin } = await loadFixture(listedFixture);
      await expect(twins.connect(manufacturer).delist(twin.deviceId))
        .to.emit(twins, 'TwinDelisted')
        .withArgs(twin.deviceId, manufacturer.address);
      const record = await twins.twinOf(twin.deviceId);
      expect(record.forSale).to.equal(false);
      expect(record.price).to.equal(0n);
    });

    it('reverts for a twin that is not listed, and for a caller who is not the owner', async function () {
      const { twins, manufacturer, owner, twin } = await loadFixture(mintedFixture);
      await expect(twins.connect(manufacturer).delist(twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotForSale')
        .withArgs(twin.deviceId);
      await expect(twins.connect(owner).delist(twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
        .withArgs(twin.deviceId, owner.address);
    });
  });

  describe('buy', function () {
    describe('when an approved owner pays exactly the price', function () {
      it('moves the twin, credits the seller, ends the listing and emits TwinPurchased', async function () {
        const { twins, manufacturer, owner, twin } = await loadFixture(listedFixture);
        const tx = twins.connect(owner).buy(twin.deviceId, { value: PRICE });
        await expect(tx)
          .to.emit(twins, 'TwinPurchased')
          .withArgs(twin.deviceId, manufacturer.address, owner.address, PRICE);
        await expect(tx).to.emit(twins, 'Transfer').withArgs(manufacturer.address, owner.address, twin.deviceId);
        await expect(tx).not.to.emit(twins, 'TwinDelisted');
        await expect(tx).to.changeEtherBalances([owner, twins], [-PRICE, PRICE]);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(owner.address);
        expect(await twins.proceedsOf(manufacturer.address)).to.equal(PRICE);
        expect((await twins.twinOf(twin.deviceId)).forSale).to.equal(false);
      });
    });

    describe('when the payment is wrong', function () {
      it('reverts for under- and over-payment alike, so the buyer never pays a price it did not see', async function () {
        const { twins, owner, twin } = await loadFixture(listedFixture);
        for (const sent of [PRICE - 1n, PRICE + 1n, 0n]) {
          await expect(twins.connect(owner).buy(twin.deviceId, { value: sent }))
            .to.be.revertedWithCustomError(twins, 'TwinRegistryIncorrectPayment')
            .withArgs(twin.deviceId, PRICE, sent);
        }
      });
    });

    describe('when the buyer may not buy', function () {
      it('reverts for an unregistered, a pending or a non-owner-role buyer', async function () {
        const { twins, stranger, pending, security, twin } = await loadFixture(listedFixture);
        for (const buyer of [stranger, pending, security]) {
          await expect(twins.connect(buyer).buy(twin.deviceId, { value: PRICE }))
            .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
            .withArgs(buyer.address, Role.Owner);
        }
      });

      it('reverts when the seller buys its own twin', async function () {
        const { twins, secondOwner, owner, price, twin } = await loadFixture(ownedFixture);
        await twins.connect(owner).list(twin.deviceId, price);
        await expect(twins.connect(owner).buy(twin.deviceId, { value: price }))
          .to.be.revertedWithCustomError(twins, 'TwinRegistrySelfPurchase')
          .withArgs(twin.deviceId, owner.address);
        await expect(twins.connect(secondOwner).buy(twin.deviceId, { value: price })).to.emit(twins, 'TwinPurchased');
      });
    });

    describe('when the twin is not for sale', function () {
      it('reverts for an unlisted twin and for a twin that does not exist', async function () {
        const { twins, owner, twin } = await loadFixture(mintedFixture);
        await expect(twins.connect(owner).buy(twin.deviceId, { value: PRICE }))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNotForSale')
          .withArgs(twin.deviceId);
        await expect(twins.connect(owner).buy(7n, { value: PRICE }))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
          .withArgs(7n);
      });

      it('reverts with TwinRegistryTwinNotActive for a suspended twin, and the suspension ends the listing', async function () {
        const { twins, owner, security, manufacturer, twin } = await loadFixture(listedFixture);
        await expect(twins.connect(security).setState(twin.deviceId, State.Suspended, 'evidence'))
          .to.emit(twins, 'TwinDelisted')
          .withArgs(twin.deviceId, manufacturer.address);
        await expect(twins.connect(owner).buy(twin.deviceId, { value: PRICE }))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinNotActive')
          .withArgs(twin.deviceId, State.Suspended);
        await twins.connect(security).setState(twin.deviceId, State.Active, 'cleared');
        await expect(twins.connect(owner).buy(twin.deviceId, { value: PRICE })).to.be.revertedWithCustomError(
          twins,
          'TwinRegistryNotForSale',
        );
      });
    });
  });

  describe('withdraw', function () {
    describe('when the caller has proceeds', function () {
      it('pays them out once and emits ProceedsWithdrawn', async function () {
        const { twins, manufacturer, price } = await loadFixture(ownedFixture);
        const tx = twins.connect(manufacturer).withdraw();
        await expect(tx).to.emit(twins, 'ProceedsWithdrawn').withArgs(manufacturer.address, price);
        await expect(tx).to.changeEtherBalances([manufacturer, twins], [price, -price]);
        expect(await twins.proceedsOf(manufacturer.address)).to.equal(0n);
        await expect(twins.connect(manufacturer).withdraw())
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNothingToWithdraw')
          .withArgs(manufacturer.address);
      });
    });

    describe('when the payee re-enters the registry', function () {
      it('blocks a re-entrant withdraw: the seller gets its proceeds exactly once', async function () {
        const { twins, seller, secondOwner, twin } = await loadFixture(reentrantSellerFixture);
        await twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE });
        await seller.setMode(1, 0);
        const sellerAddress = await seller.getAddress();
        await expect(seller.withdraw()).to.changeEtherBalances([sellerAddress, twins], [PRICE, -PRICE]);
        const guard = twins.interface.getError('ReentrancyGuardReentrantCall')!.selector;
        expect(await seller.lastReentryError()).to.equal(guard);
        expect(await twins.proceedsOf(sellerAddress)).to.equal(0n);
      });

      it('blocks a re-entrant buy paid with the proceeds', async function () {
        const { twins, seller, secondOwner, twin } = await loadFixture(reentrantSellerFixture);
        await twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE });
        await twins.connect(secondOwner).list(twin.deviceId, PRICE);
        await seller.setMode(2, twin.deviceId);
        await seller.withdraw();
        const guard = twins.interface.getError('ReentrancyGuardReentrantCall')!.selector;
        expect(await seller.lastReentryError()).to.equal(guard);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(secondOwner.address);
      });
    });

    describe('when the payee refuses the payment', function () {
      it('reverts with TwinRegistryWithdrawalFailed and keeps the proceeds', async function () {
        const { twins, seller, secondOwner, twin } = await loadFixture(reentrantSellerFixture);
        await twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE });
        await seller.setMode(3, 0);
        const sellerAddress = await seller.getAddress();
        await expect(seller.withdraw())
          .to.be.revertedWithCustomError(twins, 'TwinRegistryWithdrawalFailed')
          .withArgs(sellerAddress, PRICE);
        expect(await twins.proceedsOf(sellerAddress)).to.equal(PRICE);
        await seller.setMode(0, 0);
        await expect(seller.withdraw()).to.changeEtherBalance(sellerAddress, PRICE);
      });
    });
  });

  describe('transfers', function () {
    describe('when the recipient is an approved entity', function () {
      it('moves the twin and ends its listing with TwinDelisted', async function () {
        const { twins, manufacturer, security, twin } = await loadFixture(listedFixture);
        await expect(twins.connect(manufacturer).transferFrom(manufacturer.address, security.address, twin.deviceId))
          .to.emit(twins, 'TwinDelisted')
          .withArgs(twin.deviceId, manufacturer.address);
        expect(await twins.ownerOf(twin.deviceId)).to.equal(security.address);
        expect((await twins.twinOf(twin.deviceId)).forSale).to.equal(false);
      });

      it('moves an unlisted twin without TwinDelisted, also by safeTransferFrom and by an approved operator', async function () {
        const { twins, owner, secondOwner, security: relayer, twin } = await loadFixture(ownedFixture);
        await twins.connect(owner).setApprovalForAll(relayer.address, true);
        await expect(
          twins
            .connect(relayer)
            ['safeTransferFrom(address,address,uint256)'](owner.address, secondOwner.address, twin.deviceId),
        )
          .to.emit(twins, 'Transfer')
          .and.not.to.emit(twins, 'TwinDelisted');
        expect(await twins.ownerOf(twin.deviceId)).to.equal(secondOwner.address);
      });
    });

    describe('when the recipient is not an approved entity', function () {
      it('reverts with TwinRegistryUnauthorizedEntity for a stranger and a pending account', async function () {
        const { twins, owner, stranger, pending, twin } = await loadFixture(ownedFixture);
        for (const to of [stranger, pending]) {
          await expect(twins.connect(owner).transferFrom(owner.address, to.address, twin.deviceId))
            .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
            .withArgs(to.address, 0);
        }
      });
    });

    describe('when the twin is deactivated', function () {
      it('reverts with TwinRegistryTwinDeactivated', async function () {
        const { twins, owner, secondOwner, admin, twin } = await loadFixture(ownedFixture);
        await twins.connect(admin).deactivate(twin.deviceId, 'end of life');
        await expect(twins.connect(owner).transferFrom(owner.address, secondOwner.address, twin.deviceId))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinDeactivated')
          .withArgs(twin.deviceId);
      });
    });

    describe('when the caller is neither owner nor operator', function () {
      it('reverts with ERC721InsufficientApproval', async function () {
        const { twins, owner, secondOwner, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(secondOwner).transferFrom(owner.address, secondOwner.address, twin.deviceId))
          .to.be.revertedWithCustomError(twins, 'ERC721InsufficientApproval')
          .withArgs(secondOwner.address, twin.deviceId);
      });
    });
  });
});
