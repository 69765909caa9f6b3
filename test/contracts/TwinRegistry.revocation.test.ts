import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import type { BaseContract, Interface } from 'ethers';
import { exampleDocuments, mintArguments, mintCall, ownedFixture, Role, State } from '../fixtures';
import { signForwardRequest } from '../helpers/forwarder';

type Fixture = Awaited<ReturnType<typeof ownedFixture>>;
type Call = { to: BaseContract; data: string; value?: bigint };

const PRICE = ethers.parseEther('1');
const NEW_SIGNER = new ethers.Wallet(ethers.id('rotated key')).address;

/**
 * One action and who takes it: the `actor` (approved in the fixture) is revoked after `prepare`, and the pending
 * account (registered as an owner, never approved) tries the same call.
 */
type Case = {
  label: string;
  actor: (fixture: Fixture) => HardhatEthersSigner;
  prepare?: (fixture: Fixture) => Promise<unknown>;
  call: (fixture: Fixture, caller: HardhatEthersSigner) => Promise<Call> | Call;
  /** Emitted when the call succeeds. */
  event: string;
  /** The role `TwinRegistryUnauthorizedEntity` names for a revoked actor (0: any approved entity). */
  role: number;
  /** The error the pending account meets, when it is not `TwinRegistryUnauthorizedEntity(pending, role)`. */
  pendingError?: (fixture: Fixture) => { name: string; args: unknown[] };
  /** A payable call cannot be relayed (the relayer would pay it). */
  direct?: boolean;
  /** A right a pending or revoked entity keeps: the call succeeds whatever the actor's status. */
  kept?: boolean;
};

const twinCall = (fixture: Fixture, fn: string, args: unknown[], value?: bigint): Call => ({
  to: fixture.twins,
  data: (fixture.twins.interface as Interface).encodeFunctionData(fn, args),
  ...(value === undefined ? {} : { value }),
});
const id = (fixture: Fixture) => fixture.twin.deviceId;
const notOwner = (fixture: Fixture) => ({
  name: 'TwinRegistryNotTwinOwner',
  args: [id(fixture), fixture.pending.address],
});
const owner = (fixture: Fixture) => fixture.owner;

const CASES: Case[] = [
  {
    label: 'list',
    actor: owner,
    call: (f) => twinCall(f, 'list', [id(f), PRICE]),
    event: 'TwinListed',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'delist',
    actor: owner,
    prepare: (f) => f.twins.connect(f.owner).list(id(f), PRICE),
    call: (f) => twinCall(f, 'delist', [id(f)]),
    event: 'TwinDelisted',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'transferFrom',
    actor: owner,
    call: (f, caller) => twinCall(f, 'transferFrom', [caller.address, f.secondOwner.address, id(f)]),
    event: 'Transfer',
    role: 0,
  },
  {
    label: 'safeTransferFrom',
    actor: owner,
    call: (f, caller) =>
      twinCall(f, 'safeTransferFrom(address,address,uint256)', [caller.address, f.secondOwner.address, id(f)]),
    event: 'Transfer',
    role: 0,
  },
  {
    label: 'approve',
    actor: owner,
    call: (f) => twinCall(f, 'approve', [f.secondOwner.address, id(f)]),
    event: 'Approval',
    role: 0,
  },
  {
    label: 'setApprovalForAll',
    actor: owner,
    call: (f) => twinCall(f, 'setApprovalForAll', [f.secondOwner.address, true]),
    event: 'ApprovalForAll',
    role: 0,
  },
  {
    label: 'recordUpdate',
    actor: owner,
    call: (f) => twinCall(f, 'recordUpdate', [id(f), 'openssl', '3.0.15', ethers.ZeroHash, '']),
    event: 'DeviceUpdateRecorded',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'setDeviceSigner',
    actor: owner,
    call: (f) => twinCall(f, 'setDeviceSigner', [id(f), NEW_SIGNER]),
    event: 'DeviceSignerChanged',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'reportLost',
    actor: owner,
    call: (f) => twinCall(f, 'reportLost', [id(f), 'stolen']),
    event: 'TwinStateChanged',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'reportFound',
    actor: owner,
    prepare: (f) => f.twins.connect(f.owner).reportLost(id(f), 'stolen'),
    call: (f) => twinCall(f, 'reportFound', [id(f), 'found']),
    event: 'TwinStateChanged',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'requestReview',
    actor: owner,
    prepare: async (f) => {
      await f.twins.connect(f.security).setState(id(f), State.Suspended, 'bafy-evidence');
      await f.twins.connect(f.owner).recordUpdate(id(f), 'firmware', '2.1', ethers.ZeroHash, '');
    },
    call: (f) => twinCall(f, 'requestReview', [id(f), 'patched']),
    event: 'ReviewRequested',
    role: 0,
    pendingError: notOwner,
  },
  {
    label: 'deactivate',
    actor: owner,
    call: (f) => twinCall(f, 'deactivate', [id(f), 'retired']),
    event: 'TwinStateChanged',
    role: 0,
    pendingError: (f) => ({ name: 'TwinRegistryUnauthorizedDeactivation', args: [id(f), f.pending.address] }),
  },
  {
    label: 'buy',
    actor: (f) => f.secondOwner,
    prepare: (f) => f.twins.connect(f.owner).list(id(f), PRICE),
    call: (f) => twinCall(f, 'buy', [id(f)], PRICE),
    event: 'TwinPurchased',
    role: Role.Owner,
    direct: true,
  },
  {
    label: 'buyWithBalance',
    actor: (f) => f.secondOwner,
    prepare: async (f) => {
      await f.twins.connect(f.owner).list(id(f), PRICE);
      await f.twins.connect(f.secondOwner).deposit({ value: PRICE });
      await f.twins.connect(f.pending).deposit({ value: PRICE });
    },
    call: (f) => twinCall(f, 'buyWithBalance', [id(f), PRICE]),
    event: 'TwinPurchased',
    role: Role.Owner,
  },
  {
    label: 'setState',
    actor: (f) => f.security,
    call: (f) => twinCall(f, 'setState', [id(f), State.Suspended, 'bafy-evidence']),
    event: 'TwinStateChanged',
    role: Role.SecurityEntity,
  },
  {
    label: 'approveDeviceSigner',
    actor: (f) => f.security,
    prepare: (f) => f.twins.connect(f.security).setState(id(f), State.Suspended, 'bafy-evidence'),
    call: (f) => twinCall(f, 'approveDeviceSigner', [id(f), NEW_SIGNER]),
    event: 'DeviceSignerApproved',
    role: Role.SecurityEntity,
  },
  {
    label: 'mint',
    actor: (f) => f.manufacturer,
    call: async (f, caller) => {
      const second = mintArguments(exampleDocuments()[1]!.document);
      return twinCall(f, 'mint', [...(await mintCall(f.twins, caller, second))]);
    },
    event: 'TwinMinted',
    role: Role.Manufacturer,
  },
  {
    label: 'withdraw',
    actor: owner,
    prepare: async (f) => {
      await f.twins.connect(f.owner).deposit({ value: PRICE });
      await f.twins.connect(f.pending).deposit({ value: PRICE });
    },
    call: (f) => twinCall(f, 'withdraw', []),
    event: 'ProceedsWithdrawn',
    role: 0,
    kept: true,
  },
  {
    label: 'deposit',
    actor: owner,
    call: (f) => twinCall(f, 'deposit', [], PRICE),
    event: 'Deposited',
    role: 0,
    kept: true,
    direct: true,
  },
];

async function send(fixture: Fixture, caller: HardhatEthersSigner, call: Call) {
  return caller.sendTransaction({ to: await call.to.getAddress(), data: call.data, value: call.value ?? 0n });
}

/** What the forwarder runs for `signer`: the call with the ERC-2771 sender suffix, from the forwarder's address. */
async function innerCall(fixture: Fixture, signer: HardhatEthersSigner, call: Call) {
  return ethers.provider.call({
    from: await fixture.forwarder.getAddress(),
    to: await call.to.getAddress(),
    data: call.data + signer.address.slice(2).toLowerCase(),
  });
}

async function relay(fixture: Fixture, signer: HardhatEthersSigner, call: Call) {
  const request = await signForwardRequest(fixture.forwarder, signer, await call.to.getAddress(), call.data);
  return fixture.forwarder.connect(fixture.relayer).execute(request);
}

describe('TwinRegistry: revoked means revoked (approved, pending and revoked callers, direct and relayed)', function () {
  for (const testCase of CASES) {
    describe(testCase.label, function () {
      for (const path of testCase.direct ? (['direct'] as const) : (['direct', 'relayed'] as const)) {
        describe(`when called ${path === 'direct' ? 'directly' : 'through the TwinForwarder'}`, function () {
          it('succeeds for an approved caller', async function () {
            const fixture = await loadFixture(ownedFixture);
            await testCase.prepare?.(fixture);
            const actor = testCase.actor(fixture);
            const call = await testCase.call(fixture, actor);
            const sent = path === 'direct' ? send(fixture, actor, call) : relay(fixture, actor, call);
            await expect(sent).to.emit(call.to, testCase.event);
          });

          for (const status of ['revoked', 'pending'] as const) {
            const outcome = testCase.kept ? 'succeeds too: a right it keeps' : 'reverts';
            it(`${outcome} for a ${status} caller`, async function () {
              const fixture = await loadFixture(ownedFixture);
              await testCase.prepare?.(fixture);
              let caller = testCase.actor(fixture);
              if (status === 'revoked') await fixture.entities.revoke(caller.address, 'fraud');
              else caller = fixture.pending;
              const call = await testCase.call(fixture, caller);
              if (testCase.kept) {
                const sent = path === 'direct' ? send(fixture, caller, call) : relay(fixture, caller, call);
                await expect(sent).to.emit(call.to, testCase.event);
                return;
              }
              const expected =
                status === 'pending' && testCase.pendingError
                  ? testCase.pendingError(fixture)
                  : { name: 'TwinRegistryUnauthorizedEntity', args: [caller.address, testCase.role] };
              if (path === 'direct') {
                await expect(send(fixture, caller, call))
                  .to.be.revertedWithCustomError(fixture.twins, expected.name)
                  .withArgs(...expected.args);
              } else {
                const nonce = await fixture.forwarder.nonces(caller.address);
                await expect(relay(fixture, caller, call)).to.be.revertedWithCustomError(
                  fixture.forwarder,
                  'FailedCall',
                );
                expect(await fixture.forwarder.nonces(caller.address)).to.equal(nonce);
                await expect(innerCall(fixture, caller, call))
                  .to.be.revertedWithCustomError(fixture.twins, expected.name)
                  .withArgs(...expected.args);
              }
            });
          }
        });
      }
    });
  }

  describe('when the seller is revoked', function () {
    it('nobody can buy its listing, with ether or from a balance, directly or relayed', async function () {
      const { twins, entities, forwarder, owner, secondOwner, relayer, twin } = await loadFixture(ownedFixture);
      await twins.connect(owner).list(twin.deviceId, PRICE);
      await twins.connect(secondOwner).deposit({ value: PRICE });
      await entities.revoke(owner.address, 'fraud');
      await expect(twins.connect(secondOwner).buy(twin.deviceId, { value: PRICE }))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(owner.address, 0);
      await expect(twins.connect(secondOwner).buyWithBalance(twin.deviceId, PRICE))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(owner.address, 0);
      const data = twins.interface.encodeFunctionData('buyWithBalance', [twin.deviceId, PRICE]);
      const request = await signForwardRequest(forwarder, secondOwner, await twins.getAddress(), data);
      await expect(forwarder.connect(relayer).execute(request)).to.be.revertedWithCustomError(forwarder, 'FailedCall');
      expect(await twins.ownerOf(twin.deviceId)).to.equal(owner.address);
      expect(await twins.proceedsOf(owner.address)).to.equal(0n);
      expect(await twins.proceedsOf(secondOwner.address)).to.equal(PRICE);
    });

    it('keeps what it earned before: the revoked seller withdraws proceeds of an earlier sale', async function () {
      const { twins, entities, manufacturer, twin } = await loadFixture(ownedFixture);
      await entities.revoke(manufacturer.address, 'licence withdrawn');
      await expect(twins.connect(manufacturer).withdraw()).to.changeEtherBalance(manufacturer, PRICE);
      expect(await twins.ownerOf(twin.deviceId)).to.not.equal(manufacturer.address);
    });
  });

  describe('when an operator or an owner behind an operator is revoked', function () {
    it('the twin does not move: neither a revoked owner’s operator nor a revoked operator can transfer it', async function () {
      const { twins, entities, owner, secondOwner, security, twin } = await loadFixture(ownedFixture);
      await twins.connect(owner).setApprovalForAll(security.address, true);
      await entities.revoke(owner.address, 'fraud');
      await expect(twins.connect(security).transferFrom(owner.address, secondOwner.address, twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(owner.address, 0);
      await entities.approve(owner.address);
      await entities.revoke(security.address, 'compromised');
      await expect(twins.connect(security).transferFrom(owner.address, secondOwner.address, twin.deviceId))
        .to.be.revertedWithCustomError(twins, 'TwinRegistryUnauthorizedEntity')
        .withArgs(security.address, 0);
      await entities.approve(security.address);
      await expect(twins.connect(security).transferFrom(owner.address, secondOwner.address, twin.deviceId))
        .to.emit(twins, 'Transfer')
        .withArgs(owner.address, secondOwner.address, twin.deviceId);
    });
  });

  describe('when a revoked entity is approved again', function () {
    it('gets its rights back at once: the registry reads the status on every call', async function () {
      const { twins, entities, owner, twin } = await loadFixture(ownedFixture);
      await entities.revoke(owner.address, 'under investigation');
      await expect(twins.connect(owner).list(twin.deviceId, PRICE)).to.be.revertedWithCustomError(
        twins,
        'TwinRegistryUnauthorizedEntity',
      );
      await entities.approve(owner.address);
      await expect(twins.connect(owner).list(twin.deviceId, PRICE)).to.emit(twins, 'TwinListed');
    });
  });
});
