import { anyValue } from '@nomicfoundation/hardhat-chai-matchers/withArgs';
import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethers } from 'hardhat';
import { mintedFixture, ownedFixture, Role, State } from '../fixtures';
import { ACTIONS, cellText, enterState, STATE_VALUE, STATES, type StateName } from './stateMachine';

const NEW_SIGNER = new ethers.Wallet(ethers.id('reflashed device key')).address;
const OTHER_SIGNER = new ethers.Wallet(ethers.id('some other key')).address;

async function suspendedFixture() {
  const fixture = await ownedFixture();
  await enterState(fixture, 'Suspended');
  return fixture;
}

async function lostFixture() {
  const fixture = await ownedFixture();
  await enterState(fixture, 'Lost');
  return fixture;
}

describe('TwinRegistry: the state machine (README table, one test per cell)', function () {
  for (const action of ACTIONS) {
    describe(action.label, function () {
      for (const state of STATES) {
        it(`when the twin is ${state}: ${cellText(action, state)}`, async function () {
          const fixture = await loadFixture(ownedFixture);
          const { twins, owner, twin } = fixture;
          await action.before?.(fixture);
          await enterState(fixture, state);
          await action.after?.(fixture, state);
          const outcome = action.cells[state];
          if ('error' in outcome) {
            await expect(action.run(fixture))
              .to.be.revertedWithCustomError(twins, `TwinRegistry${outcome.error}`)
              .withArgs(...outcome.args(fixture, state));
            expect((await twins.twinOf(twin.deviceId)).state).to.equal(STATE_VALUE[state]);
          } else if ('noop' in outcome) {
            await expect(action.run(fixture)).not.to.emit(twins, 'TwinStateChanged');
            expect((await twins.twinOf(twin.deviceId)).state).to.equal(STATE_VALUE[state]);
          } else if ('to' in outcome) {
            // Every Lost twin here was lost while Active.
            const target = outcome.to === 'previous' ? 'Active' : outcome.to;
            await expect(action.run(fixture))
              .to.emit(twins, 'TwinStateChanged')
              .withArgs(twin.deviceId, owner.address, anyValue, STATE_VALUE[state], STATE_VALUE[target], anyValue);
            expect((await twins.twinOf(twin.deviceId)).state).to.equal(STATE_VALUE[target]);
          } else {
            await expect(action.run(fixture)).to.emit(twins, outcome.ok);
            if (outcome.ok === 'TwinDisputed') expect(await twins.exists(twin.deviceId)).to.equal(false);
            else expect((await twins.twinOf(twin.deviceId)).state).to.equal(STATE_VALUE[state]);
          }
        });
      }
    });
  }

  it("README.md's state machine table is this table", function () {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### State machine'));
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) =>
        line
          .slice(1, -1)
          .split('|')
          .map((cell) => cell.trim()),
      );
    const expected = ACTIONS.map((action) => [
      `\`${action.label}\``,
      action.who,
      ...STATES.map((state: StateName) => cellText(action, state)),
    ]);
    expect(rows.slice(0, expected.length)).to.deep.equal(expected);
  });

  describe('who may clear Lost', function () {
    it('the owner (found) or the admin: the twin returns to the state it was lost in', async function () {
      const { twins, owner, admin, twin } = await loadFixture(lostFixture);
      await expect(twins.connect(admin).reportFound(twin.deviceId, 'handed in'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, admin.address, State.Lost, State.Active, 'handed in');
      await twins.connect(owner).reportLost(twin.deviceId, 'again');
      await expect(twins.connect(owner).reportFound(twin.deviceId, 'in the shed'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, owner.address, State.Lost, State.Active, 'in the shed');
    });

    it('not a security entity, neither by setState nor by reportFound', async function () {
      const { twins, security, twin } = await loadFixture(lostFixture);
      for (const target of [State.Active, State.Suspended, State.Unknown]) {
        await expect(twins.connect(security).setState(twin.deviceId, target, 'found it'))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidStateTransition')
          .withArgs(twin.deviceId, State.Lost, target);
      }
      await expect(twins.connect(security).reportFound(twin.deviceId, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
        .withArgs(twin.deviceId, security.address);
    });

    it('a twin lost while Suspended is found Suspended, and its review starts again', async function () {
      const { twins, owner, security, twin } = await loadFixture(suspendedFixture);
      await twins.connect(owner).recordUpdate(twin.deviceId, 'firmware', '2.1', ethers.ZeroHash, '');
      await twins.connect(owner).reportLost(twin.deviceId, 'stolen while suspended');
      await expect(twins.connect(owner).reportFound(twin.deviceId, 'recovered'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, owner.address, State.Lost, State.Suspended, 'recovered');
      await expect(twins.connect(owner).requestReview(twin.deviceId, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryReviewNotAllowed')
        .withArgs(twin.deviceId, State.Suspended, 0);
      await twins.connect(owner).recordUpdate(twin.deviceId, 'firmware', '2.2', ethers.ZeroHash, '');
      await expect(twins.connect(owner).requestReview(twin.deviceId, 'patched')).to.emit(twins, 'ReviewRequested');
      await expect(twins.connect(security).setState(twin.deviceId, State.Active, 'clean'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, security.address, State.Suspended, State.Active, 'clean');
    });

    it('reportFound reverts for a stranger and a missing twin, and for a too long reason', async function () {
      const { twins, owner, stranger, twin } = await loadFixture(lostFixture);
      await expect(twins.connect(stranger).reportFound(twin.deviceId, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNotTwinOwner')
        .withArgs(twin.deviceId, stranger.address);
      await expect(twins.connect(owner).reportFound(7n, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(7n);
      await expect(twins.connect(owner).reportFound(twin.deviceId, 'r'.repeat(257)))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryFieldTooLong')
        .withArgs(3, 257);
    });
  });

  describe('who may deactivate', function () {
    it('the manufacturer while it still owns the twin', async function () {
      const { twins, manufacturer, twin } = await loadFixture(mintedFixture);
      await expect(twins.connect(manufacturer).deactivate(twin.deviceId, 'recalled before sale'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(
          twin.deviceId,
          manufacturer.address,
          manufacturer.address,
          State.Active,
          State.Deactivated,
          'recalled before sale',
        );
    });

    it('the admin, whoever owns it', async function () {
      const { twins, owner, admin, twin } = await loadFixture(ownedFixture);
      await expect(twins.connect(admin).deactivate(twin.deviceId, 'recall'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, admin.address, State.Active, State.Deactivated, 'recall');
    });

    it('not the manufacturer of a twin it sold, nor a security entity or a stranger', async function () {
      const { twins, manufacturer, security, stranger, twin } = await loadFixture(ownedFixture);
      for (const caller of [manufacturer, security, stranger]) {
        await expect(twins.connect(caller).deactivate(twin.deviceId, ''))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedDeactivation')
          .withArgs(twin.deviceId, caller.address);
      }
    });

    it('the admin even when it is also the twin’s revoked owner', async function () {
      const { twins, entities, owner, twin } = await loadFixture(ownedFixture);
      await entities.grantRole(await entities.DEFAULT_ADMIN_ROLE(), owner.address);
      await entities.revoke(owner.address, 'under investigation');
      await expect(twins.connect(owner).deactivate(twin.deviceId, 'recall'))
        .to.emit(twins, 'TwinStateChanged')
        .withArgs(twin.deviceId, owner.address, owner.address, State.Active, State.Deactivated, 'recall');
    });

    it('not a revoked owner; and no one for a missing twin', async function () {
      const { twins, entities, owner, admin, twin } = await loadFixture(ownedFixture);
      await entities.revoke(owner.address, 'fraud');
      await expect(twins.connect(owner).deactivate(twin.deviceId, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(owner.address, 0);
      await expect(twins.connect(admin).deactivate(5n, ''))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(5n);
    });
  });

  describe('device-signer rotation while Suspended', function () {
    it("needs a security entity's approval of that very signer, used up by the rotation", async function () {
      const { twins, owner, security, deviceSigner, twin } = await loadFixture(suspendedFixture);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
        .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
        .withArgs(twin.deviceId, NEW_SIGNER);
      await expect(twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER))
        .to.emit(twins, 'DeviceSignerApproved')
        .withArgs(twin.deviceId, security.address, NEW_SIGNER);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, OTHER_SIGNER))
        .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
        .withArgs(twin.deviceId, OTHER_SIGNER);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
        .to.emit(twins, 'DeviceSignerChanged')
        .withArgs(twin.deviceId, owner.address, deviceSigner.address, NEW_SIGNER);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, deviceSigner.address))
        .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
        .withArgs(twin.deviceId, deviceSigner.address);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER)).not.to.emit(
        twins,
        'DeviceSignerChanged',
      );
    });

    it('a later approval replaces an earlier one, and an approval ends with the suspension', async function () {
      const { twins, owner, security, twin } = await loadFixture(suspendedFixture);
      await twins.connect(security).approveDeviceSigner(twin.deviceId, OTHER_SIGNER);
      await twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER);
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, OTHER_SIGNER))
        .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
        .withArgs(twin.deviceId, OTHER_SIGNER);
      await twins.connect(security).setState(twin.deviceId, State.Active, 'cleared');
      await twins.connect(security).setState(twin.deviceId, State.Suspended, 'again');
      await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
        .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
        .withArgs(twin.deviceId, NEW_SIGNER);
    });

    describe('when the security entity that approved the signer is revoked before the rotation', function () {
      it('voids its approval: the rotation reverts until an approved security entity approves', async function () {
        const { twins, entities, owner, security, stranger, deviceSigner, twin } = await loadFixture(suspendedFixture);
        await twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER);
        await entities.revoke(security.address, 'compromised');
        await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
          .withArgs(twin.deviceId, NEW_SIGNER);
        expect((await twins.twinOf(twin.deviceId)).deviceSigner).to.equal(deviceSigner.address);
        await entities.connect(stranger).register(Role.SecurityEntity, 'Second SOC', ethers.ZeroHash, '');
        await entities.approve(stranger.address);
        await twins.connect(stranger).approveDeviceSigner(twin.deviceId, NEW_SIGNER);
        await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.emit(twins, 'DeviceSignerChanged')
          .withArgs(twin.deviceId, owner.address, deviceSigner.address, NEW_SIGNER);
      });

      it('holds again once the registrar approves that security entity again (status read at the rotation)', async function () {
        const { twins, entities, owner, security, deviceSigner, twin } = await loadFixture(suspendedFixture);
        await twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER);
        await entities.revoke(security.address, 'under investigation');
        await entities.approve(security.address);
        await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.emit(twins, 'DeviceSignerChanged')
          .withArgs(twin.deviceId, owner.address, deviceSigner.address, NEW_SIGNER);
      });
    });

    describe('when the twin was lost while Suspended (report lost, rotate, report found)', function () {
      it('refuses the rotation while Lost, so the twin is found Suspended with the key under review', async function () {
        const { twins, owner, security, deviceSigner, twin } = await loadFixture(suspendedFixture);
        await twins.connect(security).approveDeviceSigner(twin.deviceId, OTHER_SIGNER);
        await twins.connect(owner).reportLost(twin.deviceId, 'stolen while suspended');
        for (const signer of [NEW_SIGNER, OTHER_SIGNER]) {
          await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, signer))
            .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
            .withArgs(twin.deviceId, signer);
        }
        await expect(twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryTwinNotSuspended')
          .withArgs(twin.deviceId, State.Lost);
        await twins.connect(owner).reportFound(twin.deviceId, 'recovered');
        const found = await twins.twinOf(twin.deviceId);
        expect([found.state, found.deviceSigner]).to.deep.equal([BigInt(State.Suspended), deviceSigner.address]);
        // Found, the approval route is the one way to a new key again.
        await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.be.revertedWithCustomError(twins, 'TwinRegistrySignerNotApproved')
          .withArgs(twin.deviceId, NEW_SIGNER);
        await twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER);
        await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.emit(twins, 'DeviceSignerChanged')
          .withArgs(twin.deviceId, owner.address, deviceSigner.address, NEW_SIGNER);
      });

      it('still lets the owner rotate a twin lost while Active or Unknown', async function () {
        const { twins, owner, security, deviceSigner, twin } = await loadFixture(ownedFixture);
        await twins.connect(security).setState(twin.deviceId, State.Unknown, 'no data');
        await twins.connect(owner).reportLost(twin.deviceId, 'left on a train');
        await expect(twins.connect(owner).setDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.emit(twins, 'DeviceSignerChanged')
          .withArgs(twin.deviceId, owner.address, deviceSigner.address, NEW_SIGNER);
      });
    });

    it('only an approved security entity approves, only a nonzero signer, only an existing twin', async function () {
      const { twins, entities, owner, manufacturer, security, twin } = await loadFixture(suspendedFixture);
      for (const caller of [owner, manufacturer]) {
        await expect(twins.connect(caller).approveDeviceSigner(twin.deviceId, NEW_SIGNER))
          .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
          .withArgs(caller.address, Role.SecurityEntity);
      }
      await expect(twins.connect(security).approveDeviceSigner(twin.deviceId, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryInvalidDeviceSigner')
        .withArgs(ethers.ZeroAddress);
      await expect(twins.connect(security).approveDeviceSigner(9n, NEW_SIGNER))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryNonexistentTwin')
        .withArgs(9n);
      await entities.revoke(security.address, 'compromised');
      await expect(twins.connect(security).approveDeviceSigner(twin.deviceId, NEW_SIGNER))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(security.address, Role.SecurityEntity);
    });
  });
});
