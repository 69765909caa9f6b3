import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { mintedFixture, ownedFixture, registryFixture, Role, State, Status } from '../fixtures';
import { signForwardRequest } from '../helpers/forwarder';

describe('Relayed calls through the ERC-2771 forwarder', function () {
  describe('when a user signs a request and a relayer submits it', function () {
    it('registers the signer, not the relayer, and the relayer pays the gas', async function () {
      const { forwarder, entities, stranger, relayer } = await loadFixture(registryFixture);
      const data = entities.interface.encodeFunctionData('register', [Role.Owner, 'Relayed Rita', ethers.ZeroHash, '']);
      const request = await signForwardRequest(forwarder, stranger, await entities.getAddress(), data);
      const before = await ethers.provider.getBalance(stranger.address);
      await expect(forwarder.connect(relayer).execute(request))
        .to.emit(entities, 'EntityRegistered')
        .withArgs(stranger.address, Role.Owner, 'Relayed Rita', ethers.ZeroHash, '');
      expect((await entities.entityOf(stranger.address)).status).to.equal(Status.Pending);
      expect((await entities.entityOf(relayer.address)).status).to.equal(Status.None);
      expect(await ethers.provider.getBalance(stranger.address)).to.equal(before);
      expect(await entities.isTrustedForwarder(await forwarder.getAddress())).to.equal(true);
    });

    it('acts for the owner on the twin registry (list) and for a security entity (setState)', async function () {
      const { forwarder, twins, owner, security, relayer, twin } = await loadFixture(ownedFixture);
      const to = await twins.getAddress();
      const list = await signForwardRequest(
        forwarder,
        owner,
        to,
        twins.interface.encodeFunctionData('list', [twin.deviceId, 5n]),
      );
      await expect(forwarder.connect(relayer).execute(list))
        .to.emit(twins, 'TwinListed')
        .withArgs(twin.deviceId, owner.address, 5n);
      const suspend = await signForwardRequest(
        forwarder,
        security,
        to,
        twins.interface.encodeFunctionData('setState', [twin.deviceId, State.Suspended, 'cid']),
      );
      await expect(forwarder.connect(relayer).execute(suspend))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, security.address, State.Active, State.Suspended, 'cid');
    });

    it('acts for the oracle on the snapshot anchor', async function () {
      const { forwarder, anchor, oracle, relayer } = await loadFixture(registryFixture);
      const root = ethers.keccak256(ethers.toUtf8Bytes('root'));
      const request = await signForwardRequest(
        forwarder,
        oracle,
        await anchor.getAddress(),
        anchor.interface.encodeFunctionData('anchor', [root, 3, 'bafy-manifest']),
      );
      await expect(forwarder.connect(relayer).execute(request))
        .to.emit(anchor, 'BatchAnchored')
        .withArgs(1, root, oracle.address, 3, 'bafy-manifest');
    });
  });

  describe('when the signed call is not allowed for the signer', function () {
    it('reverts and consumes no nonce', async function () {
      const { forwarder, twins, stranger, relayer, twin } = await loadFixture(mintedFixture);
      const request = await signForwardRequest(
        forwarder,
        stranger,
        await twins.getAddress(),
        twins.interface.encodeFunctionData('list', [twin.deviceId, 5n]),
      );
      await expect(forwarder.connect(relayer).execute(request)).to.be.reverted;
      expect(await forwarder.nonces(stranger.address)).to.equal(0n);
      expect((await twins.twinOf(twin.deviceId)).forSale).to.equal(false);
    });
  });

  describe('when the request is forged, replayed or expired', function () {
    it('rejects a request whose from is not the signer', async function () {
      const { forwarder, entities, stranger, relayer, owner } = await loadFixture(registryFixture);
      const data = entities.interface.encodeFunctionData('updateProfile', ['Hijacked', ethers.ZeroHash, '']);
      const request = await signForwardRequest(forwarder, stranger, await entities.getAddress(), data);
      await expect(
        forwarder.connect(relayer).execute({ ...request, from: owner.address }),
      ).to.be.revertedWithCustomError(forwarder, 'ERC2771ForwarderInvalidSigner');
      expect((await entities.entityOf(owner.address)).name).to.equal('Alice');
    });

    it('rejects a replay of an executed request', async function () {
      const { forwarder, entities, owner, relayer } = await loadFixture(registryFixture);
      const data = entities.interface.encodeFunctionData('updateProfile', ['Alice 2', ethers.ZeroHash, '']);
      const request = await signForwardRequest(forwarder, owner, await entities.getAddress(), data);
      await forwarder.connect(relayer).execute(request);
      await expect(forwarder.connect(relayer).execute(request)).to.be.revertedWithCustomError(
        forwarder,
        'ERC2771ForwarderInvalidSigner',
      );
    });

    it('rejects an expired request', async function () {
      const { forwarder, entities, owner, relayer } = await loadFixture(registryFixture);
      const data = entities.interface.encodeFunctionData('updateProfile', ['Alice 3', ethers.ZeroHash, '']);
      const request = await signForwardRequest(forwarder, owner, await entities.getAddress(), data, { deadline: 1 });
      await expect(forwarder.connect(relayer).execute(request))
        .to.be.revertedWithCustomError(forwarder, 'ERC2771ForwarderExpiredRequest')
        .withArgs(1);
    });

    it('refuses a forwarder the registry does not trust', async function () {
      const { entities, owner, relayer } = await loadFixture(registryFixture);
      const rogue = await ethers.deployContract('TwinForwarder');
      const data = entities.interface.encodeFunctionData('updateProfile', ['Rogue', ethers.ZeroHash, '']);
      const request = await signForwardRequest(rogue, owner, await entities.getAddress(), data);
      await expect(rogue.connect(relayer).execute(request))
        .to.be.revertedWithCustomError(rogue, 'ERC2771UntrustfulTarget')
        .withArgs(await entities.getAddress(), await rogue.getAddress());
    });
  });
});
