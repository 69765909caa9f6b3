import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expect } from 'chai';
import hre from 'hardhat';
import { z } from 'zod';
import { ApiError } from '../../api/src/errors';
import { createRelayer } from '../../api/src/relay/createRelayer';
import type { TypedForwardRequest } from '../../api/src/relay/forwardRequest';
import * as relay from '../../api/src/relay';
import { formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { deployRegistry } from '../../tasks/lib/registry';
import { exampleDocuments, grantBrands, mintArguments, mintCall, Role, State } from '../fixtures';

const { ethers } = hre;
const PRICE = ethers.parseEther('1');

/** The registry deployed by `deployRegistry`, its cast approved, two twins minted and a funded relayer. */
async function relayFixture() {
  const [admin, , manufacturer, alice, bob, security] = await ethers.getSigners();
  const deployment = await deployRegistry(hre, { write: false });
  const entities = await ethers.getContractAt('EntityRegistry', deployment.contracts.EntityRegistry);
  const twins = await ethers.getContractAt('TwinRegistry', deployment.contracts.TwinRegistry);
  for (const [signer, role] of [
    [manufacturer!, Role.Manufacturer],
    [alice!, Role.Owner],
    [bob!, Role.Owner],
    [security!, Role.SecurityEntity],
  ] as const) {
    await entities.connect(signer).register(role, `entity ${role}`, ethers.ZeroHash, '');
    await entities.connect(admin!).approve(signer.address);
  }
  await grantBrands(entities, manufacturer!);
  const [garden, weather] = exampleDocuments().map(({ document }) => mintArguments(document));
  for (const twin of [garden!, weather!]) {
    await twins.connect(manufacturer!).mint(...(await mintCall(twins, manufacturer!, twin)));
  }
  const wallet = ethers.Wallet.createRandom().connect(ethers.provider);
  await admin!.sendTransaction({ to: wallet.address, value: ethers.parseEther('10') });
  const relayer = createRelayer({ wallet, deployment, maxGas: 400_000 });
  return {
    deployment,
    entities,
    twins,
    wallet,
    relayer,
    manufacturer: manufacturer!,
    alice: alice!,
    bob: bob!,
    security: security!,
    garden: formatDeviceId(garden!.deviceId),
    weather: formatDeviceId(weather!.deviceId),
  };
}

async function sign(signer: HardhatEthersSigner, typed: TypedForwardRequest) {
  return { request: typed.message, signature: await signer.signTypedData(typed.domain, typed.types, typed.message) };
}

/** Expects `promise` to reject with an ApiError of this status and code; returns it. */
async function expectApiError(promise: Promise<unknown>, status: number, code: string): Promise<ApiError> {
  const error = await promise.then(
    () => expect.fail(`expected an ApiError ${code}`),
    (reason: unknown) => reason,
  );
  expect(error).to.be.instanceOf(ApiError);
  expect({ status: (error as ApiError).status, code: (error as ApiError).code }).to.deep.equal({ status, code });
  return error as ApiError;
}

describe('api relay: users’ signed requests through the TwinForwarder', function () {
  describe('when a user signs a prepared request', function () {
    it('relays a security entity’s setState: the registry acts for the user, the relayer pays', async function () {
      const { relayer, twins, wallet, security, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: security.address,
        action: 'setState',
        deviceId: garden,
        args: { state: 'suspended', reason: 'bafy-evidence' },
      });
      expect(typed.primaryType).to.equal('ForwardRequest');
      expect(typed.message.to).to.equal(await twins.getAddress());
      expect(typed.message.value).to.equal('0');
      const before = await ethers.provider.getBalance(security.address);
      const result = await relayer.relay(await sign(security, typed), { actions: ['setState'], deviceId: garden });
      expect(result).to.include({ action: 'setState', deviceId: garden, from: security.address });
      const receipt = (await ethers.provider.getTransactionReceipt(result.txHash))!;
      expect(receipt.from).to.equal(wallet.address);
      expect(receipt.blockNumber).to.equal(result.blockNumber);
      const [event] = await twins.queryFilter(twins.filters.TwinStateChanged(garden), result.blockNumber);
      expect(event!.args.by).to.equal(security.address);
      expect(event!.args.owner).to.equal(manufacturer.address);
      expect(event!.args.newState).to.equal(BigInt(State.Suspended));
      expect(await ethers.provider.getBalance(security.address)).to.equal(before);
    });

    it('relays a list, then a buy paid from the balance the buyer deposited; withdraw returns the rest', async function () {
      const { relayer, twins, manufacturer, alice, garden } = await loadFixture(relayFixture);
      const list = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: PRICE.toString() },
      });
      await relayer.relay(await sign(manufacturer, list));
      await twins.connect(alice).deposit({ value: PRICE + 5n });
      const buy = await relayer.prepare({
        from: alice.address,
        action: 'buy',
        deviceId: garden,
        args: { price: PRICE.toString() },
      });
      const result = await relayer.relay(await sign(alice, buy), { actions: ['buy'], deviceId: garden });
      expect(result.action).to.equal('buy');
      expect(await twins.ownerOf(garden)).to.equal(alice.address);
      expect(await twins.proceedsOf(alice.address)).to.equal(5n);
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(PRICE);
      const withdraw = await relayer.prepare({ from: alice.address, action: 'withdraw' });
      const before = await ethers.provider.getBalance(alice.address);
      expect(await relayer.relay(await sign(alice, withdraw))).to.not.have.property('deviceId');
      expect((await ethers.provider.getBalance(alice.address)) - before).to.equal(5n);
    });

    it('relays two users’ requests sent at once: both land, one relayer nonce each', async function () {
      const { relayer, twins, wallet, manufacturer, security, garden, weather } = await loadFixture(relayFixture);
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      const [list, suspend] = await Promise.all([
        relayer.prepare({ from: manufacturer.address, action: 'list', deviceId: garden, args: { price: '7' } }),
        relayer.prepare({
          from: security.address,
          action: 'setState',
          deviceId: weather,
          args: { state: 'unknown', reason: 'silent' },
        }),
      ]);
      const results = await Promise.all([
        relayer.relay(await sign(manufacturer, list)),
        relayer.relay(await sign(security, suspend)),
      ]);
      expect(new Set(results.map((result) => result.txHash)).size).to.equal(2);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce + 2);
      expect((await twins.twinOf(garden)).price).to.equal(7n);
      expect((await twins.twinOf(weather)).state).to.equal(BigInt(State.Unknown));
    });
  });

  describe('when the request is not one the relay accepts', function () {
    it('refuses a malformed body with invalid-input naming the field', async function () {
      const { relayer, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '3' },
      });
      const signed = await sign(manufacturer, typed);
      const error = await expectApiError(
        relayer.relay({ request: { ...signed.request, gas: '12.5' }, signature: signed.signature }),
        400,
        'invalid-input',
      );
      expect(error.body.error.details).to.deep.equal([
        { in: 'body', field: 'request.gas', message: 'must be a non-negative integer as a decimal string' },
      ]);
      await expectApiError(relayer.relay({ request: signed.request } as never), 400, 'invalid-input');
    });

    it('refuses another target, a value, a disallowed function and too much gas', async function () {
      const { relayer, deployment, twins, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '3' },
      });
      const resign = async (change: Partial<TypedForwardRequest['message']>) =>
        sign(manufacturer, { ...typed, message: { ...typed.message, ...change } });
      await expectApiError(
        relayer.relay(await resign({ to: deployment.contracts.EntityRegistry })),
        400,
        'relay-target-not-allowed',
      );
      await expectApiError(relayer.relay(await resign({ value: '1' })), 400, 'relay-value-not-allowed');
      const setSigner = twins.interface.encodeFunctionData('setDeviceSigner', [garden, manufacturer.address]);
      const error = await expectApiError(
        relayer.relay(await resign({ data: setSigner })),
        400,
        'relay-action-not-allowed',
      );
      expect(error.body.error.details).to.deep.include({ function: 'setDeviceSigner' });
      const deposit = twins.interface.encodeFunctionData('deposit');
      await expectApiError(relayer.relay(await resign({ data: deposit })), 400, 'relay-action-not-allowed');
      await expectApiError(relayer.relay(await resign({ gas: '400001' })), 400, 'relay-gas-too-high');
    });

    it('refuses a request that does not match the route: another twin or another action', async function () {
      const { relayer, security, garden, weather } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: security.address,
        action: 'setState',
        deviceId: garden,
        args: { state: 'active', reason: '' },
      });
      const signed = await sign(security, typed);
      const error = await expectApiError(
        relayer.relay(signed, { actions: ['setState'], deviceId: weather }),
        400,
        'relay-request-mismatch',
      );
      expect(error.body.error.details).to.deep.include({ signed: { action: 'setState', deviceId: garden } });
      await expectApiError(relayer.relay(signed, { actions: ['list', 'delist'] }), 400, 'relay-request-mismatch');
    });

    it('refuses an expired request', async function () {
      const { relayer, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '1' },
        deadlineSeconds: 5,
      });
      await time.increase(10);
      await expectApiError(relayer.relay(await sign(manufacturer, typed)), 400, 'relay-request-expired');
    });

    it('refuses a forged signature and a replay with 401, spending no gas', async function () {
      const { relayer, wallet, manufacturer, bob, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '3' },
      });
      const balance = await ethers.provider.getBalance(wallet.address);
      const forged = await sign(bob, typed);
      const error = await expectApiError(relayer.relay(forged), 401, 'relay-signature-invalid');
      expect(error.body.error.details).to.deep.equal({ reason: 'signer' });
      expect(await ethers.provider.getBalance(wallet.address)).to.equal(balance);
      const signed = await sign(manufacturer, typed);
      await relayer.relay(signed);
      const replay = await expectApiError(relayer.relay(signed), 401, 'relay-signature-invalid');
      expect(replay.body.error.details).to.include({ reason: 'stale-nonce', nonce: '0', expected: '1' });
    });

    it('sends a request submitted twice at once only once (409 for the second)', async function () {
      const { relayer, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '3' },
      });
      const signed = await sign(manufacturer, typed);
      const [first, second] = await Promise.allSettled([relayer.relay(signed), relayer.relay(signed)]);
      expect(first.status).to.equal('fulfilled');
      expect(second.status).to.equal('rejected');
      expect((second as PromiseRejectedResult).reason).to.include({ status: 409, code: 'relay-request-pending' });
    });
  });

  describe('when the call would revert', function () {
    it('prepare reports the decoded custom error (422) before the user signs anything', async function () {
      const { relayer, alice, garden } = await loadFixture(relayFixture);
      const error = await expectApiError(
        relayer.prepare({ from: alice.address, action: 'list', deviceId: garden, args: { price: '3' } }),
        422,
        'relay-reverted',
      );
      expect(error.body.error.details).to.deep.equal({
        error: 'TwinRegistryNotTwinOwner',
        args: [BigInt(garden).toString(), alice.address],
      });
      const withdraw = await expectApiError(
        relayer.prepare({ from: alice.address, action: 'withdraw' }),
        422,
        'relay-reverted',
      );
      expect(withdraw.body.error.details).to.deep.equal({
        error: 'TwinRegistryNothingToWithdraw',
        args: [alice.address],
      });
    });

    it('relay reports the decoded custom error (422) without sending: a list signed by a non-owner', async function () {
      const { relayer, twins, wallet, manufacturer, alice, garden } = await loadFixture(relayFixture);
      const { domain, types } = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '3' },
      });
      const message = {
        from: alice.address,
        to: await twins.getAddress(),
        value: '0',
        gas: '100000',
        nonce: '0',
        deadline: String((await time.latest()) + 600),
        data: twins.interface.encodeFunctionData('list', [garden, 3n]),
      };
      const signature = await alice.signTypedData(domain, types, message);
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      const error = await expectApiError(relayer.relay({ request: message, signature }), 422, 'relay-reverted');
      expect(error.body.error.details).to.deep.equal({
        error: 'TwinRegistryNotTwinOwner',
        args: [BigInt(garden).toString(), alice.address],
      });
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce);
    });

    it("refuses a revoked entity's writes (issue 14): 422 at prepare, and a request it signed before is never sent", async function () {
      const { relayer, entities, wallet, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'recordUpdate',
        deviceId: garden,
        args: { component: 'openssl', version: '3.0.15' },
      });
      const signed = await sign(manufacturer, typed);
      await entities.revoke(manufacturer.address, 'fraud');
      const refused = { error: 'TwinRegistryUnauthorizedEntity', args: [manufacturer.address, '0'] };
      const listed = await expectApiError(
        relayer.prepare({ from: manufacturer.address, action: 'list', deviceId: garden, args: { price: '3' } }),
        422,
        'relay-reverted',
      );
      expect(listed.body.error.details).to.deep.equal(refused);
      const balance = await ethers.provider.getBalance(wallet.address);
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      const relayed = await expectApiError(relayer.relay(signed), 422, 'relay-reverted');
      expect(relayed.body.error.details).to.deep.equal(refused);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce);
      expect(await ethers.provider.getBalance(wallet.address)).to.equal(balance);
    });

    it('relays reportFound for the owner of a lost twin', async function () {
      const { relayer, twins, manufacturer, garden } = await loadFixture(relayFixture);
      await twins.connect(manufacturer).reportLost(garden, 'stolen');
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'reportFound',
        deviceId: garden,
        args: { reason: 'recovered' },
      });
      await relayer.relay(await sign(manufacturer, typed));
      expect((await twins.twinOf(garden)).state).to.equal(BigInt(State.Active));
    });

    it('relay reports a request with too little gas as running out of it (422 FailedCall)', async function () {
      const { relayer, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'list',
        deviceId: garden,
        args: { price: '3' },
      });
      const starved = await sign(manufacturer, { ...typed, message: { ...typed.message, gas: '5000' } });
      const error = await expectApiError(relayer.relay(starved), 422, 'relay-reverted');
      expect(error.body.error.details).to.include({ error: 'FailedCall', gas: '5000' });
    });
  });

  describe('prepare', function () {
    it('refuses bad arguments with invalid-input naming the field', async function () {
      const { relayer, manufacturer, security, garden } = await loadFixture(relayFixture);
      const price = await expectApiError(
        relayer.prepare({ from: manufacturer.address, action: 'list', deviceId: garden, args: { price: '0' } }),
        400,
        'invalid-input',
      );
      expect(price.body.error.details).to.deep.equal([
        { in: 'body', field: 'args.price', message: 'must be an amount of wei above zero, as a decimal string' },
      ]);
      const state = await expectApiError(
        relayer.prepare({ from: security.address, action: 'setState', deviceId: garden, args: { state: 'paused' } }),
        400,
        'invalid-input',
      );
      expect((state.body.error.details as { field: string }[]).map((issue) => issue.field)).to.deep.equal([
        'args.state',
        'args.reason',
      ]);
      const device = await expectApiError(
        relayer.prepare({ from: manufacturer.address, action: 'delist' }),
        400,
        'invalid-input',
      );
      expect(device.body.error.details).to.deep.equal([
        { in: 'body', field: 'deviceId', message: 'is required by the delist action' },
      ]);
      await expectApiError(
        relayer.prepare({ from: manufacturer.address, action: 'mint' as never, deviceId: garden }),
        400,
        'invalid-input',
      );
    });

    it('fills in the nonce, the gas within the limit and the deadline; every schema has a JSON Schema', async function () {
      const { relayer, manufacturer, garden } = await loadFixture(relayFixture);
      const typed = await relayer.prepare({
        from: manufacturer.address,
        action: 'recordUpdate',
        deviceId: garden,
        args: { component: 'openssl', version: '3.0.15' },
        deadlineSeconds: 60,
      });
      expect(typed.message.nonce).to.equal('0');
      expect(BigInt(typed.message.gas)).to.be.within(30_000n, 400_000n);
      expect(Number(typed.message.deadline)).to.equal((await time.latest()) + 60);
      expect(relay.typedForwardRequestSchema.parse(typed)).to.deep.equal(typed);
      const schemas = Object.entries(relay).filter(([name]) => name.endsWith('Schema'));
      expect(schemas.length).to.be.greaterThan(10);
      for (const [name, schema] of schemas) {
        expect(z.toJSONSchema(schema as z.ZodType, { io: 'input' }), name).to.be.an('object');
      }
    });
  });
});
