import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { registryFixture, Role, Status } from '../fixtures';

const PROFILE_HASH = ethers.keccak256(ethers.toUtf8Bytes('profile document'));
const PROFILE_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

describe('EntityRegistry', function () {
  describe('register', function () {
    describe('when the caller is new', function () {
      it('records a pending entity without an ID and emits EntityRegistered', async function () {
        const { entities, stranger } = await loadFixture(registryFixture);
        await expect(entities.connect(stranger).register(Role.Manufacturer, 'Acme Devices', PROFILE_HASH, PROFILE_CID))
          .to.emit(entities, 'EntityRegistered')
          .withArgs(stranger.address, Role.Manufacturer, 'Acme Devices', PROFILE_HASH, PROFILE_CID);
        const entity = await entities.entityOf(stranger.address);
        expect(entity.status).to.equal(Status.Pending);
        expect(entity.role).to.equal(Role.Manufacturer);
        expect(entity.id).to.equal(0n);
        expect(entity.name).to.equal('Acme Devices');
        expect(entity.profileHash).to.equal(PROFILE_HASH);
        expect(entity.profileCid).to.equal(PROFILE_CID);
        expect(await entities.isApproved(stranger.address)).to.equal(false);
      });
    });

    describe('when the input is invalid', function () {
      it('reverts for role None', async function () {
        const { entities, stranger } = await loadFixture(registryFixture);
        await expect(entities.connect(stranger).register(Role.None, 'x', PROFILE_HASH, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryInvalidRole')
          .withArgs(Role.None);
      });

      it('reverts for an empty or too long name', async function () {
        const { entities, stranger } = await loadFixture(registryFixture);
        await expect(entities.connect(stranger).register(Role.Owner, '', PROFILE_HASH, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryInvalidName')
          .withArgs(0);
        await expect(entities.connect(stranger).register(Role.Owner, 'n'.repeat(65), PROFILE_HASH, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryInvalidName')
          .withArgs(65);
      });

      it('reverts for a too long profile CID', async function () {
        const { entities, stranger } = await loadFixture(registryFixture);
        await expect(entities.connect(stranger).register(Role.Owner, 'ok', PROFILE_HASH, 'c'.repeat(129)))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryInvalidProfileCid')
          .withArgs(129);
      });
    });

    describe('when the caller already registered', function () {
      it('reverts with EntityRegistryAlreadyRegistered', async function () {
        const { entities, owner, pending } = await loadFixture(registryFixture);
        for (const account of [owner, pending]) {
          await expect(entities.connect(account).register(Role.Owner, 'again', PROFILE_HASH, ''))
            .to.be.revertedWithCustomError(entities, 'EntityRegistryAlreadyRegistered')
            .withArgs(account.address);
        }
      });
    });
  });

  describe('updateProfile', function () {
    describe('when the caller registered', function () {
      it('replaces the profile, keeps role and ID, and emits EntityProfileUpdated', async function () {
        const { entities, owner } = await loadFixture(registryFixture);
        const before = await entities.entityOf(owner.address);
        await expect(entities.connect(owner).updateProfile('Alice B.', PROFILE_HASH, PROFILE_CID))
          .to.emit(entities, 'EntityProfileUpdated')
          .withArgs(owner.address, 'Alice B.', PROFILE_HASH, PROFILE_CID);
        const after = await entities.entityOf(owner.address);
        expect(after.name).to.equal('Alice B.');
        expect(after.profileCid).to.equal(PROFILE_CID);
        expect(after.id).to.equal(before.id);
        expect(after.role).to.equal(before.role);
        expect(after.status).to.equal(Status.Approved);
      });

      it('validates the new profile', async function () {
        const { entities, owner } = await loadFixture(registryFixture);
        await expect(entities.connect(owner).updateProfile('', PROFILE_HASH, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryInvalidName')
          .withArgs(0);
      });
    });

    describe('when the caller never registered', function () {
      it('reverts with EntityRegistryUnknownEntity', async function () {
        const { entities, stranger } = await loadFixture(registryFixture);
        await expect(entities.connect(stranger).updateProfile('x', PROFILE_HASH, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryUnknownEntity')
          .withArgs(stranger.address);
      });
    });
  });

  describe('approve', function () {
    describe('when the registrar approves a pending entity', function () {
      it('gives the next entity ID and emits EntityApproved', async function () {
        const { entities, admin, pending } = await loadFixture(registryFixture);
        const count = await entities.entityCount();
        await expect(entities.approve(pending.address))
          .to.emit(entities, 'EntityApproved')
          .withArgs(pending.address, count + 1n, Role.Owner, admin.address);
        expect(await entities.entityIdOf(pending.address)).to.equal(count + 1n);
        expect(await entities.entityCount()).to.equal(count + 1n);
        expect(await entities.isApproved(pending.address)).to.equal(true);
        expect(await entities.hasEntityRole(pending.address, Role.Owner)).to.equal(true);
        expect(await entities.hasEntityRole(pending.address, Role.Manufacturer)).to.equal(false);
        const [account, entity] = await entities.entityById(count + 1n);
        expect(account).to.equal(pending.address);
        expect(entity.name).to.equal('Pending Pete');
      });
    });

    describe('when a revoked entity is approved again', function () {
      it('restores it with the same ID', async function () {
        const { entities, owner } = await loadFixture(registryFixture);
        const id = await entities.entityIdOf(owner.address);
        await entities.revoke(owner.address, 'audit');
        await expect(entities.approve(owner.address))
          .to.emit(entities, 'EntityApproved')
          .withArgs(owner.address, id, Role.Owner, anyAddress());
        expect(await entities.entityIdOf(owner.address)).to.equal(id);
        expect(await entities.entityCount()).to.equal(4n);
      });
    });

    describe('when the entity cannot be approved', function () {
      it('reverts for an unknown account', async function () {
        const { entities, stranger } = await loadFixture(registryFixture);
        await expect(entities.approve(stranger.address))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryUnknownEntity')
          .withArgs(stranger.address);
      });

      it('reverts for an approved account', async function () {
        const { entities, owner } = await loadFixture(registryFixture);
        await expect(entities.approve(owner.address))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryAlreadyApproved')
          .withArgs(owner.address);
      });
    });

    describe('when the caller is not a registrar', function () {
      it('reverts with AccessControlUnauthorizedAccount', async function () {
        const { entities, owner, pending } = await loadFixture(registryFixture);
        await expect(entities.connect(owner).approve(pending.address))
          .to.be.revertedWithCustomError(entities, 'AccessControlUnauthorizedAccount')
          .withArgs(owner.address, await entities.REGISTRAR_ROLE());
      });
    });
  });

  describe('revoke', function () {
    describe('when the registrar revokes an approved or pending entity', function () {
      it('marks it revoked, keeps its ID, removes its rights and emits EntityRevoked', async function () {
        const { entities, admin, owner, pending } = await loadFixture(registryFixture);
        const id = await entities.entityIdOf(owner.address);
        await expect(entities.revoke(owner.address, 'fraud'))
          .to.emit(entities, 'EntityRevoked')
          .withArgs(owner.address, id, admin.address, 'fraud');
        expect((await entities.entityOf(owner.address)).status).to.equal(Status.Revoked);
        expect(await entities.isApproved(owner.address)).to.equal(false);
        expect(await entities.hasEntityRole(owner.address, Role.Owner)).to.equal(false);
        expect(await entities.entityIdOf(owner.address)).to.equal(id);
        await expect(entities.revoke(pending.address, 'spam'))
          .to.emit(entities, 'EntityRevoked')
          .withArgs(pending.address, 0, admin.address, 'spam');
      });
    });

    describe('when the entity is unknown or already revoked', function () {
      it('reverts', async function () {
        const { entities, owner, stranger } = await loadFixture(registryFixture);
        await expect(entities.revoke(stranger.address, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryUnknownEntity')
          .withArgs(stranger.address);
        await entities.revoke(owner.address, '');
        await expect(entities.revoke(owner.address, ''))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryNotApproved')
          .withArgs(owner.address);
      });
    });

    describe('when the caller is not a registrar', function () {
      it('reverts with AccessControlUnauthorizedAccount', async function () {
        const { entities, owner, security } = await loadFixture(registryFixture);
        await expect(entities.connect(security).revoke(owner.address, ''))
          .to.be.revertedWithCustomError(entities, 'AccessControlUnauthorizedAccount')
          .withArgs(security.address, await entities.REGISTRAR_ROLE());
      });
    });
  });

  describe('views', function () {
    it('entityById reverts for an ID nobody holds', async function () {
      const { entities } = await loadFixture(registryFixture);
      await expect(entities.entityById(0))
        .to.be.revertedWithCustomError(entities, 'EntityRegistryNonexistentEntityId')
        .withArgs(0);
      await expect(entities.entityById(99))
        .to.be.revertedWithCustomError(entities, 'EntityRegistryNonexistentEntityId')
        .withArgs(99);
    });

    it('entityOf is all zero for an unknown account', async function () {
      const { entities, stranger } = await loadFixture(registryFixture);
      const entity = await entities.entityOf(stranger.address);
      expect(entity.status).to.equal(Status.None);
      expect(entity.role).to.equal(Role.None);
      expect(entity.name).to.equal('');
    });

    it('reports the operational roles', async function () {
      const { entities, admin, oracle } = await loadFixture(registryFixture);
      expect(await entities.hasRole(await entities.ORACLE_ROLE(), oracle.address)).to.equal(true);
      expect(await entities.hasRole(await entities.REGISTRAR_ROLE(), admin.address)).to.equal(true);
      expect(await entities.hasRole(await entities.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await entities.hasRole(await entities.ORACLE_ROLE(), admin.address)).to.equal(false);
    });
  });
});

function anyAddress() {
  return (value: unknown) => typeof value === 'string' && ethers.isAddress(value);
}
