import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { encodeStaticDocument, hashStaticDocument } from '../../twin-core/src/static/staticDocument';
import type { EntityRegistry, TwinRegistry } from '../../typechain-types';
import { attest, Role, State } from '../fixtures';
import { example, expectRevert, expectTaskError, useTaskEnvironment } from './taskHelpers';

const { ethers } = hre;
const ZERO_HASH = ethers.ZeroHash;

describe('Hardhat tasks (in-process network)', function () {
  const { logged, deploymentsDir } = useTaskEnvironment();
  let signers: HardhatEthersSigner[];
  let admin: HardhatEthersSigner;
  let oracle: HardhatEthersSigner;
  let manufacturer: HardhatEthersSigner;
  let alice: HardhatEthersSigner;
  let bob: HardhatEthersSigner;
  let security: HardhatEthersSigner;
  let deviceSigner: HardhatEthersSigner;
  let newDeviceSigner: HardhatEthersSigner;
  let pendingManufacturer: HardhatEthersSigner;
  let secondOracle: HardhatEthersSigner;
  let revoked: HardhatEthersSigner;
  let stranger: HardhatEthersSigner;

  before(async function () {
    signers = await ethers.getSigners();
    [
      admin,
      oracle,
      manufacturer,
      alice,
      bob,
      security,
      deviceSigner,
      newDeviceSigner,
      pendingManufacturer,
      secondOracle,
      revoked,
      stranger,
    ] = signers;
  });

  describe('deploy --admin', function () {
    it('hands the admin and registrar roles to --admin and renounces them for the deployer', async function () {
      const handover = signers[12]!;
      const deployment = (await hre.run('deploy', { admin: handover.address })) as Deployment;
      const entities = await ethers.getContractAt('EntityRegistry', deployment.contracts.EntityRegistry);
      const [adminRole, registrarRole, oracleRole] = [
        await entities.DEFAULT_ADMIN_ROLE(),
        await entities.REGISTRAR_ROLE(),
        await entities.ORACLE_ROLE(),
      ];
      expect(await entities.hasRole(adminRole, handover.address)).to.equal(true);
      expect(await entities.hasRole(registrarRole, handover.address)).to.equal(true);
      expect(await entities.hasRole(adminRole, admin.address)).to.equal(false);
      expect(await entities.hasRole(registrarRole, admin.address)).to.equal(false);
      expect(await entities.hasRole(oracleRole, oracle.address)).to.equal(false);
    });

    it('rejects an --admin or --oracle that is not an address', async function () {
      await expectTaskError(hre.run('deploy', { admin: 'alice' }), '--admin must be an address', '"alice"');
      await expectTaskError(hre.run('deploy', { oracle: '0x1234' }), '--oracle must be an address', '"0x1234"');
    });
  });

  describe('the registry tasks, as one user story', function () {
    let deployment: Deployment;
    let entities: EntityRegistry;
    let twins: TwinRegistry;
    const garden = example('pi4-garden');
    const weather = example('pi4-weather');
    const sensor = example('sensor-node');

    before(async function () {
      deployment = (await hre.run('deploy', { oracle: oracle.address })) as Deployment;
      entities = await ethers.getContractAt('EntityRegistry', deployment.contracts.EntityRegistry);
      twins = await ethers.getContractAt('TwinRegistry', deployment.contracts.TwinRegistry);
    });

    it('deploy: deploys the four contracts, grants --oracle the oracle role and writes no file for hardhat', async function () {
      expect(deployment.network).to.equal('hardhat');
      expect(deployment.chainId).to.equal(31337);
      expect(deployment.deployer).to.equal(admin.address);
      expect(Object.keys(deployment.contracts).sort()).to.deep.equal(
        ['EntityRegistry', 'SnapshotAnchor', 'TwinForwarder', 'TwinRegistry'].sort(),
      );
      for (const address of Object.values(deployment.contracts)) {
        expect(await ethers.provider.getCode(address), address).to.not.equal('0x');
      }
      expect(await twins.entityRegistry()).to.equal(deployment.contracts.EntityRegistry);
      expect(await entities.hasRole(await entities.ORACLE_ROLE(), oracle.address)).to.equal(true);
      expect(await entities.hasRole(await entities.REGISTRAR_ROLE(), admin.address)).to.equal(true);
      expect(await entities.hasRole(await entities.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(existsSync(join(deploymentsDir(), 'hardhat.json'))).to.equal(false);
      expect(logged().join('\n')).to.include(deployment.contracts.TwinRegistry);
    });

    it('grant-oracle: gives an address the oracle role; only an admin may', async function () {
      const oracleRole = await entities.ORACLE_ROLE();
      expect(await entities.hasRole(oracleRole, secondOracle.address)).to.equal(false);
      const tx = (await hre.run('grant-oracle', { account: secondOracle.address })) as { hash: string };
      expect(tx.hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(await entities.hasRole(oracleRole, secondOracle.address)).to.equal(true);
      const again = (await hre.run('grant-oracle', { account: secondOracle.address })) as { changed: boolean };
      expect(again.changed).to.equal(false);
      expect(logged().at(-1)).to.match(/already holds ORACLE_ROLE: nothing changed \(tx 0x[0-9a-f]{64}\)$/);
      await expectRevert(
        hre.run('grant-oracle', { account: stranger.address, from: '3' }),
        'AccessControlUnauthorizedAccount',
        alice.address,
        await entities.getRoleAdmin(oracleRole),
      );
      expect(await entities.hasRole(oracleRole, stranger.address)).to.equal(false);
    });

    it('register: submits a pending registration for each role', async function () {
      const profileHash = ethers.keccak256(ethers.toUtf8Bytes('Raspberry Pi Ltd profile'));
      const profileCid = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
      const result = (await hre.run('register', {
        role: 'manufacturer',
        name: 'Raspberry Pi Ltd',
        profileHash,
        profileCid,
        from: '2',
      })) as { account: string; hash: string };
      expect(result.account).to.equal(manufacturer.address);
      expect(result.hash).to.match(/^0x[0-9a-f]{64}$/);
      await hre.run('register', { role: 'owner', name: 'Alice', from: '3' });
      await hre.run('register', { role: 'owner', name: 'Bob', from: bob.address });
      await hre.run('register', { role: 'security', name: 'Twin SOC', from: '5' });
      await hre.run('register', { role: 'manufacturer', name: 'Pending Pete', from: '8' });

      const expected = [
        [manufacturer, Role.Manufacturer, 'Raspberry Pi Ltd'],
        [alice, Role.Owner, 'Alice'],
        [bob, Role.Owner, 'Bob'],
        [security, Role.SecurityEntity, 'Twin SOC'],
        [pendingManufacturer, Role.Manufacturer, 'Pending Pete'],
      ] as const;
      for (const [signer, role, name] of expected) {
        const entity = await entities.entityOf(signer.address);
        expect(entity.role, name).to.equal(role);
        expect(entity.name).to.equal(name);
        expect(entity.status, name).to.equal(1n); // pending
      }
      const first = await entities.entityOf(manufacturer.address);
      expect(first.profileHash).to.equal(profileHash);
      expect(first.profileCid).to.equal(profileCid);
      expect((await entities.entityOf(alice.address)).profileHash).to.equal(ZERO_HASH);
    });

    it('approve: approves an entity and returns its entity ID', async function () {
      const ids: bigint[] = [];
      for (const signer of [manufacturer, alice, bob, security]) {
        const result = (await hre.run('approve', { account: signer.address })) as { account: string; entityId: bigint };
        expect(result.account).to.equal(signer.address);
        expect(await entities.isApproved(signer.address)).to.equal(true);
        expect(await entities.entityIdOf(signer.address)).to.equal(result.entityId);
        ids.push(result.entityId);
      }
      expect(ids).to.deep.equal([1n, 2n, 3n, 4n]);
      expect(await entities.isApproved(pendingManufacturer.address)).to.equal(false);
    });

    it('show-entity: shows an entity by address and by entity ID', async function () {
      const byAddress = (await hre.run('show-entity', { entity: manufacturer.address.toLowerCase() })) as Record<
        string,
        unknown
      >;
      expect(byAddress).to.include({
        account: manufacturer.address,
        entityId: 1n,
        role: 'manufacturer',
        status: 'approved',
        name: 'Raspberry Pi Ltd',
      });
      expect(byAddress.registeredAt).to.be.a('string');
      expect(Number.isNaN(Date.parse(byAddress.registeredAt as string))).to.equal(false);

      const byId = (await hre.run('show-entity', { entity: '4' })) as Record<string, unknown>;
      expect(byId).to.include({
        account: security.address,
        entityId: 4n,
        role: 'security',
        status: 'approved',
        name: 'Twin SOC',
      });

      const pending = (await hre.run('show-entity', { entity: pendingManufacturer.address })) as Record<
        string,
        unknown
      >;
      expect(pending).to.include({ status: 'pending', role: 'manufacturer', entityId: 0n });

      const unknown = (await hre.run('show-entity', { entity: stranger.address })) as Record<string, unknown>;
      expect(unknown).to.include({ status: 'none', role: 'none', registeredAt: null });
      expect(logged().join('\n')).to.match(/status\s+approved/);
    });

    it('revoke: revokes an approved entity', async function () {
      await hre.run('register', { role: 'owner', name: 'Mallory', from: '10' });
      await hre.run('approve', { account: revoked.address });
      expect(await entities.isApproved(revoked.address)).to.equal(true);
      const result = (await hre.run('revoke', { account: revoked.address, reason: 'fraud' })) as { account: string };
      expect(result.account).to.equal(revoked.address);
      expect(await entities.isApproved(revoked.address)).to.equal(false);
      const shown = (await hre.run('show-entity', { entity: revoked.address })) as Record<string, unknown>;
      expect(shown.status).to.equal('revoked');
      // Revoked entities cannot be revoked again: the revert is decoded by name.
      await expectRevert(hre.run('revoke', { account: revoked.address }), 'EntityRegistryNotApproved', revoked.address);
    });

    it('register-brand and approve-brand: a manufacturer holds the brands its devices name', async function () {
      await expectRevert(
        hre.run('register-brand', { brand: 'Raspberry Pi Ltd', from: '3' }),
        'EntityRegistryNotManufacturer',
        alice.address,
        Role.Owner,
      );
      for (const brand of ['Raspberry Pi Ltd', ' Société Capteurs Agricoles ']) {
        const registered = (await hre.run('register-brand', { brand, from: '2' })) as { brand: string };
        expect(registered.brand).to.equal(brand.trim());
      }
      await expectRevert(
        hre.run('approve-brand', { account: manufacturer.address, brand: 'Raspberry Pi Ltd', from: '2' }),
        'AccessControlUnauthorizedAccount',
        manufacturer.address,
        await entities.REGISTRAR_ROLE(),
      );
      const before = (await hre.run('show-entity', { entity: manufacturer.address })) as { brands: string };
      expect(before.brands).to.equal('Raspberry Pi Ltd (pending), Société Capteurs Agricoles (pending)');
      for (const brand of ['Raspberry Pi Ltd', 'Société Capteurs Agricoles']) {
        await hre.run('approve-brand', { account: manufacturer.address, brand });
        expect(await entities.brandHolder(brand)).to.deep.equal([manufacturer.address, true]);
      }
      await hre.run('register-brand', { brand: 'Old Name Ltd', from: '2' });
      await hre.run('revoke-brand', { account: manufacturer.address, brand: 'Old Name Ltd', reason: 'renamed' });
      const after = (await hre.run('show-entity', { entity: manufacturer.address })) as { brands: string };
      expect(after.brands).to.equal('Raspberry Pi Ltd (approved), Société Capteurs Agricoles (approved)');
      await expectTaskError(hre.run('register-brand', { brand: '  ', from: '2' }), '--brand must not be empty');
    });

    it('mint: refuses, before sending, an attestation the device key did not sign for this manufacturer', async function () {
      const forBob = await attest(twins, bob, BigInt(garden.deviceId));
      await expectTaskError(
        hre.run('mint', { static: garden.file, signer: deviceSigner.address, attestation: forBob, from: '2' }),
        `The attestation of ${garden.deviceId} is not signed by its device signer ${deviceSigner.address}`,
      );
      await expectTaskError(
        hre.run('mint', { static: garden.file, signer: deviceSigner.address, attestation: '0x1234', from: '2' }),
        '--attestation must be a 65-byte signature',
      );
      const mine = await attest(twins, alice, BigInt(garden.deviceId));
      await expectTaskError(
        hre.run('mint', { static: garden.file, signer: deviceSigner.address, attestation: mine, from: '3' }),
        `${alice.address} may not mint "Raspberry Pi Ltd" devices: the brand is held by ${manufacturer.address}`,
      );
      expect(await twins.exists(garden.deviceId)).to.equal(false);
    });

    it('mint: creates a twin from a static document and its attestation, listed at --price', async function () {
      const result = (await hre.run('mint', {
        static: garden.file,
        signer: deviceSigner.address,
        attestation: await attest(twins, manufacturer, BigInt(garden.deviceId)),
        price: '1.5',
        from: '2',
      })) as { deviceId: string; staticHash: string; staticCid: string; hash: string };
      expect(result.deviceId).to.equal(formatDeviceId(computeDeviceId(garden.document.identity)));
      expect(result.deviceId).to.equal(garden.deviceId);
      expect(result.staticHash).to.equal(hashStaticDocument(garden.document));
      expect(result.staticCid).to.equal(rawCidV1(encodeStaticDocument(garden.document)));

      const twin = await twins.twinOf(garden.deviceId);
      expect(twin.owner).to.equal(manufacturer.address);
      expect(twin.manufacturer).to.equal(manufacturer.address);
      expect(twin.deviceSigner).to.equal(deviceSigner.address);
      expect(twin.forSale).to.equal(true);
      expect(twin.price).to.equal(ethers.parseEther('1.5'));
      expect(twin.staticHash).to.equal(hashStaticDocument(garden.document));
      expect(twin.state).to.equal(BigInt(State.Active));
      expect(logged().join('\n')).to.include(`Minted twin ${garden.deviceId}`);
    });

    it('mint: without --price the twin is not listed; --cid overrides the computed CID', async function () {
      const cid = 'bafkreiexplicitcidforthetest';
      const attestation = await attest(twins, manufacturer, BigInt(weather.deviceId));
      const result = (await hre.run('mint', {
        static: weather.file,
        signer: deviceSigner.address,
        attestation,
        cid,
        from: '2',
      })) as {
        deviceId: string;
        staticCid: string;
      };
      expect(result.deviceId).to.equal(weather.deviceId);
      expect(result.staticCid).to.equal(cid);
      const twin = await twins.twinOf(weather.deviceId);
      expect(twin.forSale).to.equal(false);
      expect(twin.price).to.equal(0n);
      const shown = (await hre.run('show-twin', { device: weather.deviceId })) as { staticCid: string };
      expect(shown.staticCid).to.equal(cid);
      // Minting the same device twice is refused by the contract, decoded by name.
      await expectRevert(
        hre.run('mint', { static: weather.file, signer: deviceSigner.address, attestation, from: '2' }),
        'TwinRegistryDuplicateTwin',
        BigInt(weather.deviceId),
      );
    });

    it('list: changes the price of a listed twin', async function () {
      await hre.run('list', { device: garden.deviceId, price: '2', from: '2' });
      const twin = await twins.twinOf(garden.deviceId);
      expect(twin.forSale).to.equal(true);
      expect(twin.price).to.equal(ethers.parseEther('2'));
      // A decimal DeviceID works too.
      await hre.run('list', { device: BigInt(garden.deviceId).toString(), price: '1', from: '2' });
      expect((await twins.twinOf(garden.deviceId)).price).to.equal(ethers.parseEther('1'));
      // The same price again: nothing to send. Another account still gets the contract's refusal.
      const again = (await hre.run('list', { device: garden.deviceId, price: '1', from: '2' })) as { changed: boolean };
      expect(again.changed).to.equal(false);
      expect(logged().at(-1)).to.equal(
        `Twin ${garden.deviceId} is already listed at 1 ETH: nothing changed (no transaction)`,
      );
      await expectRevert(
        hre.run('list', { device: garden.deviceId, price: '1', from: '3' }),
        'TwinRegistryNotTwinOwner',
        BigInt(garden.deviceId),
        alice.address,
      );
    });

    it('delist: withdraws a twin from sale, and list puts it back', async function () {
      await hre.run('delist', { device: garden.deviceId, from: manufacturer.address });
      expect((await twins.twinOf(garden.deviceId)).forSale).to.equal(false);
      await expectTaskError(hre.run('buy', { device: garden.deviceId, from: '3' }), 'is not for sale');
      await expectRevert(
        hre.run('delist', { device: garden.deviceId, from: '2' }),
        'TwinRegistryNotForSale',
        BigInt(garden.deviceId),
      );
      await hre.run('list', { device: garden.deviceId, price: '1', from: '2' });
      const twin = await twins.twinOf(garden.deviceId);
      expect(twin.forSale).to.equal(true);
      expect(twin.price).to.equal(ethers.parseEther('1'));
    });

    it('buy: refuses a price above --max-price, then buys at the listed price', async function () {
      await expectTaskError(
        hre.run('buy', { device: garden.deviceId, maxPrice: '0.5', from: '3' }),
        'costs 1.0 ETH, above --max-price 0.5',
      );
      expect((await twins.twinOf(garden.deviceId)).owner).to.equal(manufacturer.address);

      const before = await ethers.provider.getBalance(alice.address);
      const result = (await hre.run('buy', { device: garden.deviceId, maxPrice: '1', from: '3' })) as {
        price: bigint;
        hash: string;
      };
      expect(result.price).to.equal(ethers.parseEther('1'));
      const twin = await twins.twinOf(garden.deviceId);
      expect(twin.owner).to.equal(alice.address);
      expect(twin.forSale).to.equal(false);
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(ethers.parseEther('1'));
      const receipt = (await ethers.provider.getTransactionReceipt(result.hash))!;
      const after = await ethers.provider.getBalance(alice.address);
      expect(before - after).to.equal(ethers.parseEther('1') + receipt.gasUsed * receipt.gasPrice);
    });

    it('withdraw: sends the seller its proceeds', async function () {
      const before = await ethers.provider.getBalance(manufacturer.address);
      const result = (await hre.run('withdraw', { from: '2' })) as { amount: bigint; hash: string; gasUsed: bigint };
      expect(result.amount).to.equal(ethers.parseEther('1'));
      const receipt = (await ethers.provider.getTransactionReceipt(result.hash))!;
      expect(receipt.gasUsed).to.equal(result.gasUsed);
      const after = await ethers.provider.getBalance(manufacturer.address);
      expect(after - before).to.equal(ethers.parseEther('1') - receipt.gasUsed * receipt.gasPrice);
      expect(await twins.proceedsOf(manufacturer.address)).to.equal(0n);
      await expectRevert(hre.run('withdraw', { from: '2' }), 'TwinRegistryNothingToWithdraw', manufacturer.address);
    });

    it('transfer: gives a twin to another approved entity, never to an unapproved one', async function () {
      await expectRevert(
        hre.run('transfer', { device: garden.deviceId, to: pendingManufacturer.address, from: '3' }),
        'TwinRegistryUnauthorizedEntity',
        pendingManufacturer.address,
        0,
      );
      await expectTaskError(
        hre.run('transfer', { device: garden.deviceId, to: 'bob', from: '3' }),
        '--to must be an address',
      );
      await hre.run('transfer', { device: garden.deviceId, to: bob.address, from: '3' });
      expect((await twins.twinOf(garden.deviceId)).owner).to.equal(bob.address);
      const again = (await hre.run('transfer', { device: garden.deviceId, to: bob.address, from: '4' })) as {
        changed: boolean;
      };
      expect(again.changed).to.equal(false);
      expect(logged().at(-1)).to.equal(
        `Twin ${garden.deviceId} already belongs to ${bob.address}: nothing changed (no transaction)`,
      );
    });

    it('set-signer: changes the device signer (owner only)', async function () {
      await expectRevert(
        hre.run('set-signer', { device: garden.deviceId, signer: newDeviceSigner.address, from: '3' }),
        'TwinRegistryNotTwinOwner',
        BigInt(garden.deviceId),
        alice.address,
      );
      await hre.run('set-signer', { device: garden.deviceId, signer: newDeviceSigner.address, from: '4' });
      expect((await twins.twinOf(garden.deviceId)).deviceSigner).to.equal(newDeviceSigner.address);
      expect(logged().at(-1)).to.include(`set to ${newDeviceSigner.address}`);
      await hre.run('set-signer', { device: garden.deviceId, signer: newDeviceSigner.address, from: '4' });
      expect(logged().at(-1)).to.include(`is already ${newDeviceSigner.address}: nothing changed`);
    });

    it('record-update: records an installed update and returns its index', async function () {
      const artifactHash = ethers.keccak256(ethers.toUtf8Bytes('openssl-3.0.15.tar.gz'));
      const result = (await hre.run('record-update', {
        device: garden.deviceId,
        component: 'openssl',
        release: '3.0.15',
        artifactHash,
        artifactCid: 'bafkreiopenssl',
        from: '4',
      })) as { index: bigint };
      expect(result.index).to.equal(1n);
      expect((await twins.twinOf(garden.deviceId)).updateCount).to.equal(1);
    });

    it('set-state: a security entity suspends a twin, which leaves the market', async function () {
      await hre.run('list', { device: garden.deviceId, price: '3', from: '4' });
      await expectRevert(
        hre.run('set-state', { device: garden.deviceId, state: 'suspended', from: '4' }),
        'TwinRegistryUnauthorizedEntity',
        bob.address,
        Role.SecurityEntity,
      );
      await hre.run('set-state', { device: garden.deviceId, state: 'suspended', reason: 'ipfs://evidence', from: '5' });
      const twin = await twins.twinOf(garden.deviceId);
      expect(twin.state).to.equal(BigInt(State.Suspended));
      expect(twin.forSale).to.equal(false);
      expect(logged().at(-1)).to.match(new RegExp(`^Twin ${garden.deviceId} is now suspended \\(tx`));
    });

    it('set-state: the state a twin already has changes nothing, and says so', async function () {
      const changes = () => twins.queryFilter(twins.filters.TwinStateChanged(garden.deviceId));
      const before = (await changes()).length;
      const again = (await hre.run('set-state', { device: garden.deviceId, state: 'suspended', from: '5' })) as {
        changed: boolean;
      };
      expect(again.changed).to.equal(false);
      expect(logged().at(-1)).to.match(
        new RegExp(`^Twin ${garden.deviceId} is already suspended: nothing changed \\(tx 0x[0-9a-f]{64}\\)$`),
      );
      expect(await changes()).to.have.length(before);
    });

    it('a suspended twin can neither be listed nor bought', async function () {
      await expectRevert(
        hre.run('list', { device: garden.deviceId, price: '1', from: '4' }),
        'TwinRegistryTwinNotActive',
        BigInt(garden.deviceId),
        State.Suspended,
      );
      // The task checks the state before sending, and says why.
      await expectTaskError(
        hre.run('buy', { device: garden.deviceId, from: '3' }),
        `Twin ${garden.deviceId} is suspended: only an active twin can be bought.`,
      );
      expect((await twins.twinOf(garden.deviceId)).owner).to.equal(bob.address);
    });

    it('set-signer while suspended: only to the signer a security entity approved (approve-signer)', async function () {
      await expectRevert(
        hre.run('set-signer', { device: garden.deviceId, signer: deviceSigner.address, from: '4' }),
        'TwinRegistrySignerNotApproved',
        BigInt(garden.deviceId),
        deviceSigner.address,
      );
      await expectRevert(
        hre.run('approve-signer', { device: garden.deviceId, signer: deviceSigner.address, from: '4' }),
        'TwinRegistryUnauthorizedEntity',
        bob.address,
        Role.SecurityEntity,
      );
      await hre.run('approve-signer', { device: garden.deviceId, signer: deviceSigner.address, from: '5' });
      await hre.run('set-signer', { device: garden.deviceId, signer: deviceSigner.address, from: '4' });
      expect((await twins.twinOf(garden.deviceId)).deviceSigner).to.equal(deviceSigner.address);
    });

    it('request-review: needs an update since the suspension, then flags the twin for review', async function () {
      await expectRevert(
        hre.run('request-review', { device: garden.deviceId, from: '4' }),
        'TwinRegistryReviewNotAllowed',
        BigInt(garden.deviceId),
        State.Suspended,
        0,
      );
      await hre.run('record-update', { device: garden.deviceId, component: 'kernel', release: '6.6.74', from: '4' });
      await hre.run('request-review', { device: garden.deviceId, note: 'patched', from: '4' });
      expect((await twins.twinOf(garden.deviceId)).reviewRequested).to.equal(true);
      expect(logged().at(-1)).to.include(`Review of ${garden.deviceId} requested`);
      await hre.run('request-review', { device: garden.deviceId, note: 'patched again', from: '4' });
      expect(logged().at(-1)).to.include(`A review of ${garden.deviceId} is already requested: nothing changed`);
    });

    it('set-state: a security entity reactivates the twin', async function () {
      await hre.run('set-state', {
        device: garden.deviceId,
        state: 'active',
        reason: 'reviewed',
        from: security.address,
      });
      const twin = await twins.twinOf(garden.deviceId);
      expect(twin.state).to.equal(BigInt(State.Active));
      expect(twin.reviewRequested).to.equal(false);
    });

    it('report-lost: the owner reports the device lost', async function () {
      await expectRevert(
        hre.run('report-lost', { device: garden.deviceId, from: '3' }),
        'TwinRegistryNotTwinOwner',
        BigInt(garden.deviceId),
        alice.address,
      );
      await hre.run('report-lost', { device: garden.deviceId, reason: 'stolen from the shed', from: '4' });
      expect((await twins.twinOf(garden.deviceId)).state).to.equal(BigInt(State.Lost));
      await hre.run('report-lost', { device: garden.deviceId, reason: 'still gone', from: '4' });
      expect(logged().at(-1)).to.include(`Twin ${garden.deviceId} is already reported lost: nothing changed`);
    });

    it('report-found: the owner reports it found, and it is active again; a security entity cannot', async function () {
      await expectRevert(
        hre.run('set-state', { device: garden.deviceId, state: 'active', from: '5' }),
        'TwinRegistryInvalidStateTransition',
        BigInt(garden.deviceId),
        State.Lost,
        State.Active,
      );
      const found = (await hre.run('report-found', { device: garden.deviceId, reason: 'in the hedge', from: '4' })) as {
        state: string;
      };
      expect(found.state).to.equal('active');
      expect(logged().join('\n')).to.include(`Twin ${garden.deviceId} reported found: active again`);
    });

    it('deactivate: its current owner ends the twin for good, not the manufacturer that sold it', async function () {
      await expectRevert(
        hre.run('deactivate', { device: garden.deviceId, from: '2' }),
        'TwinRegistryUnauthorizedDeactivation',
        BigInt(garden.deviceId),
        manufacturer.address,
      );
      await hre.run('deactivate', { device: garden.deviceId, reason: 'end of life', from: '4' });
      expect((await twins.twinOf(garden.deviceId)).state).to.equal(BigInt(State.Deactivated));
      await expectRevert(
        hre.run('transfer', { device: garden.deviceId, to: alice.address, from: '4' }),
        'TwinRegistryTwinDeactivated',
        BigInt(garden.deviceId),
      );
    });

    it('deactivate: an admin may deactivate any twin; dispute: the registrar burns one minted in error', async function () {
      const attestation = await attest(twins, manufacturer, BigInt(sensor.deviceId));
      await hre.run('mint', { static: sensor.file, signer: deviceSigner.address, attestation, from: '2' });
      await hre.run('deactivate', { device: sensor.deviceId, reason: 'recall', from: '0' });
      expect((await twins.twinOf(sensor.deviceId)).state).to.equal(BigInt(State.Deactivated));
      await expectRevert(
        hre.run('dispute', { device: sensor.deviceId, reason: 'minted in error', from: '2' }),
        'TwinRegistryUnauthorizedDispute',
        BigInt(sensor.deviceId),
        manufacturer.address,
      );
      await hre.run('dispute', { device: sensor.deviceId, reason: 'minted in error', from: '0' });
      expect(await twins.exists(sensor.deviceId)).to.equal(false);
      expect(logged().join('\n')).to.include(`Twin ${sensor.deviceId} disputed and burned`);
    });

    it('show-twin: returns the record with its update and state histories', async function () {
      logged().length = 0;
      const shown = (await hre.run('show-twin', { device: garden.deviceId })) as {
        deviceId: string;
        owner: string;
        manufacturer: string;
        deviceSigner: string;
        state: string;
        forSale: boolean;
        price: string;
        staticHash: string;
        staticCid: string | null;
        reviewRequested: boolean;
        updates: {
          index: number;
          component: string;
          version: string;
          artifactHash: string;
          artifactCid: string;
          block: number;
        }[];
        states: { from: string; to: string; by: string; reason: string; block: number }[];
      };
      expect(shown).to.include({
        deviceId: garden.deviceId,
        owner: bob.address,
        manufacturer: manufacturer.address,
        deviceSigner: deviceSigner.address,
        state: 'deactivated',
        forSale: false,
        price: '0.0',
        staticHash: hashStaticDocument(garden.document),
        staticCid: rawCidV1(encodeStaticDocument(garden.document)),
        reviewRequested: false,
      });
      expect(shown.updates.map(({ index, component, version }) => ({ index, component, version }))).to.deep.equal([
        { index: 1, component: 'openssl', version: '3.0.15' },
        { index: 2, component: 'kernel', version: '6.6.74' },
      ]);
      expect(shown.updates[0]!.artifactHash).to.equal(ethers.keccak256(ethers.toUtf8Bytes('openssl-3.0.15.tar.gz')));
      expect(shown.updates[0]!.artifactCid).to.equal('bafkreiopenssl');
      expect(shown.updates[1]!.artifactHash).to.equal(ZERO_HASH);
      expect(shown.states.map(({ from, to, by, reason }) => ({ from, to, by, reason }))).to.deep.equal([
        { from: 'active', to: 'suspended', by: security.address, reason: 'ipfs://evidence' },
        { from: 'suspended', to: 'active', by: security.address, reason: 'reviewed' },
        { from: 'active', to: 'lost', by: bob.address, reason: 'stolen from the shed' },
        { from: 'lost', to: 'active', by: bob.address, reason: 'in the hedge' },
        { from: 'active', to: 'deactivated', by: bob.address, reason: 'end of life' },
      ]);
      const blocks = shown.states.map((change) => change.block);
      expect(blocks).to.deep.equal([...blocks].sort((a, b) => a - b));
      const output = logged().join('\n');
      expect(output).to.match(/state\s+deactivated/);
      expect(output).to.include('updates (2):');
      expect(output).to.include('state changes (5):');
    });

    it('show-twin: an unknown twin is a decoded contract error', async function () {
      const unknown = formatDeviceId(123n);
      await expectRevert(hre.run('show-twin', { device: unknown }), 'TwinRegistryNonexistentTwin', 123);
    });
  });
});
