import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { ownedFixture, Role, State } from '../fixtures';

const ARTIFACT = ethers.keccak256(ethers.toUtf8Bytes('openssl_3.0.15-1_armhf.deb'));
const EVIDENCE = 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e';

async function suspendedFixture() {
  const fixture = await ownedFixture();
  await fixture.twins.connect(fixture.security).setState(fixture.twin.deviceId, State.Suspended, EVIDENCE);
  return fixture;
}

describe('TwinRegistry: device updates and state', function () {
  describe('recordUpdate', function () {
    describe('when the owner records an update', function () {
      it('numbers it from 1 and emits DeviceUpdateRecorded with the full record', async function () {
        const { twins, owner, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(owner).recordUpdate(twin.deviceId, 'openssl', '3.0.15', ARTIFACT, 'bafy-artifact'))
          .to.emit(twins, 'DeviceUpdateRecorded')
          .withArgs(twin.deviceId, owner.address, 1, 'openssl', '3.0.15', ARTIFACT, 'bafy-artifact');
        await expect(twins.connect(owner).recordUpdate(twin.deviceId, 'kernel', '6.6.51', ethers.ZeroHash, ''))
          .to.emit(twins, 'DeviceUpdateRecorded')
          .withArgs(twin.deviceId, owner.address, 2, 'kernel', '6.6.51', ethers.ZeroHash, '');
        expect((await twins.twinOf(twin.deviceId)).updateCount).to.equal(2n);
      });
    });

    describe('when the update is refused', function () {
      it('reverts for a caller who is not the owner', async function () {
        const { twins, manufacturer, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(manufacturer).recordUpdate(twin.deviceId, 'openssl', '3', ARTIFACT, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
          .withArgs(twin.deviceId, manufacturer.address);
      });

      it('reverts for an empty component or version', async function () {
        const { twins, owner, twin } = await loadFixture(ownedFixture);
        await expect(
          twins.connect(owner).recordUpdate(twin.deviceId, '', '1', ARTIFACT, ''),
        ).to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidUpdate');
        await expect(
          twins.connect(owner).recordUpdate(twin.deviceId, 'x', '', ARTIFACT, ''),
        ).to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidUpdate');
      });

      it('reverts with TwinRegistryFieldTooLong naming the field', async function () {
        const { twins, owner, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(owner).recordUpdate(twin.deviceId, 'c'.repeat(65), '1', ARTIFACT, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
          .withArgs(0, 65);
        await expect(twins.connect(owner).recordUpdate(twin.deviceId, 'c', 'v'.repeat(65), ARTIFACT, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
          .withArgs(1, 65);
        await expect(twins.connect(owner).recordUpdate(twin.deviceId, 'c', '1', ARTIFACT, 'b'.repeat(129)))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
          .withArgs(2, 129);
      });

      it('reverts for a deactivated twin', async function () {
        const { twins, owner, admin, twin } = await loadFixture(ownedFixture);
        await twins.connect(admin).deactivate(twin.deviceId, 'recycled');
        await expect(twins.connect(owner).recordUpdate(twin.deviceId, 'openssl', '3', ARTIFACT, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinDeactivated')
          .withArgs(twin.deviceId);
      });
    });
  });

  describe('setState', function () {
    describe('when a security entity changes the state', function () {
      it('emits TwinStateChanged indexed by twin and owner, for every allowed target state', async function () {
        const { twins, owner, security, twin } = await loadFixture(ownedFixture);
        const steps: [number, number][] = [
          [State.Active, State.Suspended],
          [State.Suspended, State.Unknown],
          [State.Unknown, State.Active],
        ];
        for (const [from, to] of steps) {
          await expect(twins.connect(security).setState(twin.deviceId, to, EVIDENCE))
            .to.emit(twins, 'TwinStateChanged')
            .withArgs(twin.deviceId, owner.address, security.address, from, to, EVIDENCE);
          expect((await twins.twinOf(twin.deviceId)).state).to.equal(to);
        }
      });

      it('lets the owner filter its notifications by the indexed owner topic', async function () {
        const { twins, owner, security, twin } = await loadFixture(ownedFixture);
        await twins.connect(security).setState(twin.deviceId, State.Suspended, EVIDENCE);
        const events = await twins.queryFilter(twins.filters.TwinStateChanged(undefined, owner.address));
        expect(events).to.have.length(1);
        expect(events[0]!.args.newState).to.equal(State.Suspended);
      });

      it('does nothing and emits nothing when the state is unchanged', async function () {
        const { twins, security, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(security).setState(twin.deviceId, State.Active, EVIDENCE)).not.to.emit(
          twins,
          'TwinStateChanged',
        );
      });
    });

    describe('when the change is not allowed', function () {
      it('reverts for a caller who is not an approved security entity', async function () {
        const { twins, entities, owner, manufacturer, security, twin } = await loadFixture(ownedFixture);
        for (const caller of [owner, manufacturer]) {
          await expect(twins.connect(caller).setState(twin.deviceId, State.Suspended, EVIDENCE))
            .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
            .withArgs(caller.address, Role.SecurityEntity);
        }
        await entities.revoke(security.address, 'compromised');
        await expect(twins.connect(security).setState(twin.deviceId, State.Suspended, EVIDENCE))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
          .withArgs(security.address, Role.SecurityEntity);
      });

      it('reverts for Deactivated or Lost as a target', async function () {
        const { twins, security, twin } = await loadFixture(ownedFixture);
        for (const state of [State.Deactivated, State.Lost]) {
          await expect(twins.connect(security).setState(twin.deviceId, state, EVIDENCE))
            .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidStateTransition')
            .withArgs(twin.deviceId, State.Active, state);
        }
      });

      it('reverts for a deactivated twin, a missing twin and a too long reason', async function () {
        const { twins, security, admin, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(security).setState(twin.deviceId, State.Suspended, 'r'.repeat(257)))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
          .withArgs(3, 257);
        await expect(twins.connect(security).setState(1n, State.Suspended, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
          .withArgs(1n);
        await twins.connect(admin).deactivate(twin.deviceId, 'eol');
        await expect(twins.connect(security).setState(twin.deviceId, State.Active, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinDeactivated')
          .withArgs(twin.deviceId);
      });
    });
  });

  describe('reportLost', function () {
    it('lets the owner report the device lost, once', async function () {
      const { twins, owner, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(owner).reportLost(twin.deviceId, 'left on a train'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, owner.address, State.Active, State.Lost, 'left on a train');
      await expect(twins.connect(owner).reportLost(twin.deviceId, 'again')).not.to.emit(twins, 'TwinStateChanged');
    });

    it('reverts for anyone but the owner', async function () {
      const { twins, security, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(security).reportLost(twin.deviceId, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
        .withArgs(twin.deviceId, security.address);
    });
  });

  describe('deactivate', function () {
    describe('when the owner or an admin deactivates', function () {
      it('makes the state final and emits TwinStateChanged', async function () {
        const { twins, owner, admin, twin } = await loadFixture(ownedFixture);
        await expect(twins.connect(owner).deactivate(twin.deviceId, 'end of support'))
          .to.emit(twins, 'TwinStateChanged')
          .withArgs(twin.deviceId, owner.address, owner.address, State.Active, State.Deactivated, 'end of support');
        await expect(twins.connect(admin).deactivate(twin.deviceId, 'again'))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinDeactivated')
          .withArgs(twin.deviceId);
        await expect(twins.connect(owner).reportLost(twin.deviceId, '')).to.be.revertedWithCustomError(
          twins,
          'TwinRegistryTwinDeactivated',
        );
      });

      it('takes a listed twin off the market', async function () {
        const { twins, owner, admin, twin, price } = await loadFixture(ownedFixture);
        await twins.connect(owner).list(twin.deviceId, price);
        await expect(twins.connect(admin).deactivate(twin.deviceId, 'recall'))
          .to.emit(twins, 'TwinDelisted')
          .withArgs(twin.deviceId, owner.address);
        expect((await twins.twinOf(twin.deviceId)).forSale).to.equal(false);
      });
    });

    describe('when the caller may not deactivate', function () {
      it('reverts for the manufacturer once it sold the twin, a security entity and another manufacturer', async function () {
        const { twins, entities, security, manufacturer, stranger, twin } = await loadFixture(ownedFixture);
        await entities.connect(stranger).register(Role.Manufacturer, 'Other Maker', ethers.ZeroHash, '');
        await entities.approve(stranger.address);
        for (const caller of [manufacturer, security, stranger]) {
          await expect(twins.connect(caller).deactivate(twin.deviceId, ''))
            .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedDeactivation')
            .withArgs(twin.deviceId, caller.address);
        }
      });

      it('reverts for a twin that does not exist', async function () {
        const { twins, admin } = await loadFixture(ownedFixture);
        await expect(twins.connect(admin).deactivate(5n, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
          .withArgs(5n);
      });
    });
  });

  describe('requestReview', function () {
    describe('when the owner remediated a suspended twin', function () {
      it('emits ReviewRequested once, and a security entity reactivates the twin', async function () {
        const { twins, owner, security, twin } = await loadFixture(suspendedFixture);
        await twins.connect(owner).recordUpdate(twin.deviceId, 'firmware', '2.1', ARTIFACT, '');
        await expect(twins.connect(owner).requestReview(twin.deviceId, 'patched'))
          .to.emit(twins, 'ReviewRequested')
          .withArgs(twin.deviceId, owner.address, 1, 'patched');
        expect((await twins.twinOf(twin.deviceId)).reviewRequested).to.equal(true);
        await expect(twins.connect(owner).requestReview(twin.deviceId, 'again')).not.to.emit(twins, 'ReviewRequested');
        await expect(twins.connect(security).setState(twin.deviceId, State.Active, 'behaviour back to baseline'))
          .to.emit(twins, 'TwinStateChanged')
          .withArgs(
            twin.deviceId,
            owner.address,
            security.address,
            State.Suspended,
            State.Active,
            'behaviour back to baseline',
          );
        expect((await twins.twinOf(twin.deviceId)).reviewRequested).to.equal(false);
      });
    });

    describe('when no update followed the suspension', function () {
      it('reverts with TwinRegistryReviewNotAllowed, counting only updates since the suspension', async function () {
        const { twins, owner, security, twin } = await loadFixture(ownedFixture);
        await twins.connect(owner).recordUpdate(twin.deviceId, 'before', '1', ARTIFACT, '');
        await twins.connect(security).setState(twin.deviceId, State.Suspended, EVIDENCE);
        await expect(twins.connect(owner).requestReview(twin.deviceId, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryReviewNotAllowed')
          .withArgs(twin.deviceId, State.Suspended, 0);
      });
    });

    describe('when the twin is not suspended or the caller is not the owner', function () {
      it('reverts', async function () {
        const { twins, owner, security, twin } = await loadFixture(ownedFixture);
        await twins.connect(owner).recordUpdate(twin.deviceId, 'x', '1', ARTIFACT, '');
        await expect(twins.connect(owner).requestReview(twin.deviceId, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryReviewNotAllowed')
          .withArgs(twin.deviceId, State.Active, 1);
        await expect(twins.connect(security).requestReview(twin.deviceId, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
          .withArgs(twin.deviceId, security.address);
      });

      it('reverts for a too long note', async function () {
        const { twins, owner, twin } = await loadFixture(suspendedFixture);
        await twins.connect(owner).recordUpdate(twin.deviceId, 'x', '1', ARTIFACT, '');
        await expect(twins.connect(owner).requestReview(twin.deviceId, 'n'.repeat(257)))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
          .withArgs(3, 257);
      });
    });
  });

  describe('setDeviceSigner', function () {
    it('lets the owner rotate the device key, emitting DeviceSignerChanged; the same key is a no-op', async function () {
      const { twins, owner, deviceSigner, stranger, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, stranger.address))
        .to.emit(twins, 'DeviceSignerChanged')
        .withArgs(twin.deviceId, owner.address, deviceSigner.address, stranger.address);
      expect((await twins.twinOf(twin.deviceId)).deviceSigner).to.equal(stranger.address);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, stranger.address)).not.to.emit(
        twins,
        'DeviceSignerChanged',
      );
    });

    it('reverts for the zero address, a non-owner and a deactivated twin', async function () {
      const { twins, owner, admin, stranger, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidDeviceSigner')
        .withArgs(ethers.ZeroAddress);
      await expect(twins.connect(stranger).setDeviceSigner(twin.deviceId, stranger.address))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
        .withArgs(twin.deviceId, stranger.address);
      await twins.connect(admin).deactivate(twin.deviceId, '');
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, stranger.address))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinDeactivated')
        .withArgs(twin.deviceId);
    });
  });
});
