import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import type { EntityRegistry, TwinRegistry } from '../../typechain-types';
import { attest, exampleBrands, Role, State } from '../fixtures';
import { example, expectRevert, expectTaskError, useTaskEnvironment } from './taskHelpers';

const { ethers } = hre;

describe('Hardhat tasks: failures give one clear HardhatPluginError', function () {
  useTaskEnvironment();
  let entities: EntityRegistry;
  let twins: TwinRegistry;
  let manufacturer: HardhatEthersSigner;
  let deviceSigner: HardhatEthersSigner;
  let pendingManufacturer: HardhatEthersSigner;
  let stranger: HardhatEthersSigner;
  const garden = example('pi4-garden');
  const weather = example('pi4-weather');
  /** The device key's attestation of the garden twin for the manufacturer. */
  let attestation: string;

  before(async function () {
    const signers = await ethers.getSigners();
    [, , manufacturer, , , , deviceSigner, , pendingManufacturer, , , stranger] = signers as HardhatEthersSigner[];
    const deployment = (await hre.run('deploy', {})) as Deployment;
    entities = await ethers.getContractAt('EntityRegistry', deployment.contracts.EntityRegistry);
    twins = await ethers.getContractAt('TwinRegistry', deployment.contracts.TwinRegistry);
    // A manufacturer (#2), an owner (#3) and a security entity (#5) approved; #8 registered as a manufacturer, pending.
    for (const [from, role] of [
      ['2', 'manufacturer'],
      ['3', 'owner'],
      ['5', 'security'],
    ] as const) {
      const { account } = (await hre.run('register', { role, name: `entity ${from}`, from })) as { account: string };
      await hre.run('approve', { account });
    }
    await hre.run('register', { role: 'manufacturer', name: 'Pending Maker', from: '8' });
    for (const brand of exampleBrands()) {
      await hre.run('register-brand', { brand, from: '2' });
      await hre.run('approve-brand', { account: manufacturer.address, brand });
    }
    attestation = await attest(twins, manufacturer, BigInt(garden.deviceId));
    const forWeather = await attest(twins, manufacturer, BigInt(weather.deviceId));
    await hre.run('mint', { static: weather.file, signer: deviceSigner.address, attestation: forWeather, from: '2' });
  });

  it('a bad --role', async function () {
    const error = await expectTaskError(
      hre.run('register', { role: 'admin', name: 'Eve', from: '11' }),
      '--role must be manufacturer, owner or security, got "admin".',
    );
    expect(error.pluginName).to.equal('twin-registry');
    expect((await entities.entityOf(stranger.address)).status).to.equal(0n);
  });

  it('a bad --profile-hash', async function () {
    await expectTaskError(
      hre.run('register', { role: 'owner', name: 'Eve', profileHash: '0x1234', from: '11' }),
      '--profile-hash must be 0x + 64 hex digits',
    );
  });

  it('a bad --device', async function () {
    for (const task of ['show-twin', 'delist', 'report-lost', 'deactivate', 'request-review']) {
      await expectTaskError(hre.run(task, { device: 'my-pi' }), '--device must be a DeviceID', '"my-pi"');
    }
    await expectTaskError(hre.run('list', { device: '0x1234', price: '1' }), '--device must be a DeviceID', '"0x1234"');
  });

  it('--from out of range, not an account, or without a key', async function () {
    await expectTaskError(hre.run('withdraw', { from: '99' }), '--from 99: network hardhat has 20 account(s) (0..19).');
    await expectTaskError(
      hre.run('withdraw', { from: 'me' }),
      '--from must be an account index or an address, got "me".',
    );
    const keyless = ethers.Wallet.createRandom().address;
    await expectTaskError(
      hre.run('withdraw', { from: keyless }),
      `--from ${keyless}: no key for this address on network hardhat.`,
    );
  });

  it("minting from a pending manufacturer or another maker's brand is refused before sending, saying why", async function () {
    const brand = garden.document.identity.manufacturer;
    const theirs = await attest(twins, pendingManufacturer, BigInt(garden.deviceId));
    await expectTaskError(
      hre.run('mint', { static: garden.file, signer: deviceSigner.address, attestation: theirs, from: '8' }),
      `${pendingManufacturer.address} may not mint "${brand}" devices: the brand is held by ${manufacturer.address}`,
    );
    await hre.run('register-brand', { brand: 'Pending Boards', from: '8' });
    await hre.run('approve-brand', { account: pendingManufacturer.address, brand: 'Pending Boards' });
    expect(await entities.brandHolder('Pending Boards')).to.deep.equal([pendingManufacturer.address, false]);
    expect(await twins.exists(garden.deviceId)).to.equal(false);
  });

  it('a contract revert the task could not foresee is decoded by name', async function () {
    const forWeather = await attest(twins, manufacturer, BigInt(weather.deviceId));
    await expectRevert(
      hre.run('mint', { static: weather.file, signer: deviceSigner.address, attestation: forWeather, from: '2' }),
      'TwinRegistryDuplicateTwin',
      BigInt(weather.deviceId),
    );
  });

  it('buying from an account that is not an approved owner is a decoded revert', async function () {
    await hre.run('list', { device: weather.deviceId, price: '0.1', from: '2' });
    await expectRevert(
      hre.run('buy', { device: weather.deviceId, from: '8' }),
      'TwinRegistryUnauthorizedEntity',
      pendingManufacturer.address,
      Role.Owner,
    );
    await expectRevert(
      hre.run('buy', { device: weather.deviceId, from: '2' }),
      'TwinRegistryUnauthorizedEntity',
      manufacturer.address,
      Role.Owner,
    );
  });

  it('a --static file that fails validation names the field', async function () {
    const directory = mkdtempSync(join(tmpdir(), 'twin-static-'));
    try {
      const bad = JSON.parse(readFileSync(garden.file, 'utf8')) as { identity: Record<string, unknown> };
      bad.identity.macAddress = 'not-a-mac';
      delete bad.identity.serialNumber;
      const file = join(directory, 'bad.json');
      writeFileSync(file, JSON.stringify(bad));
      await expectTaskError(
        hre.run('mint', { static: file, signer: deviceSigner.address, attestation, from: '2' }),
        'Invalid static document.',
        'identity.macAddress: must be a MAC address',
        'identity.serialNumber',
      );

      const notJson = join(directory, 'not.json');
      writeFileSync(notJson, '{ not json');
      await expectTaskError(
        hre.run('mint', { static: notJson, signer: deviceSigner.address, attestation, from: '2' }),
        `--static ${notJson}:`,
      );
      const missing = join(directory, 'missing.json');
      await expectTaskError(
        hre.run('mint', { static: missing, signer: deviceSigner.address, attestation, from: '2' }),
        `--static ${missing}:`,
        'ENOENT',
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a bad --signer, --price or --max-price', async function () {
    await expectTaskError(
      hre.run('mint', { static: garden.file, signer: '0xnope', attestation, from: '2' }),
      '--signer must be an address, got "0xnope".',
    );
    await expectTaskError(
      hre.run('mint', { static: garden.file, signer: deviceSigner.address, attestation, price: 'one', from: '2' }),
      '--price must be an amount in ether from 0 to 79228162514.26, such as 0.5; got "one".',
    );
    await expectTaskError(
      hre.run('list', { device: weather.deviceId, price: '-1', from: '2' }),
      '--price must be an amount in ether',
    );
    await expectTaskError(
      hre.run('list', { device: weather.deviceId, price: '0', from: '2' }),
      '--price must be above zero.',
    );
    await expectTaskError(
      hre.run('list', { device: weather.deviceId, price: '79228162515', from: '2' }),
      '--price must be an amount in ether from 0 to 79228162514.26',
    );
    await expectTaskError(
      hre.run('buy', { device: weather.deviceId, maxPrice: 'cheap', from: '3' }),
      '--max-price must be an amount in ether',
    );
  });

  it('a bad --state or --artifact-hash', async function () {
    for (const state of ['deactivated', 'lost', 'broken']) {
      await expectTaskError(
        hre.run('set-state', { device: weather.deviceId, state, from: '5' }),
        `--state must be active, suspended or unknown, got "${state}".`,
      );
    }
    await expectTaskError(
      hre.run('record-update', {
        device: weather.deviceId,
        component: 'a',
        release: '1',
        artifactHash: 'abc',
        from: '2',
      }),
      '--artifact-hash must be 0x + 64 hex digits, got "abc".',
    );
    expect((await twins.twinOf(weather.deviceId)).state).to.equal(BigInt(State.Active));
  });

  it('a bad --account or --entity', async function () {
    await expectTaskError(hre.run('approve', { account: 'bob' }), '--account must be an address, got "bob".');
    await expectTaskError(hre.run('revoke', { account: '' }), '--account must be an address');
    await expectTaskError(hre.run('grant-oracle', { account: '0x12' }), '--account must be an address');
    await expectTaskError(hre.run('show-entity', { entity: 'bob' }), '--entity must be an address, got "bob".');
    await expectRevert(hre.run('show-entity', { entity: '999' }), 'EntityRegistryNonexistentEntityId', 999);
  });

  it('approving from a non-registrar is a decoded AccessControl revert', async function () {
    await expectRevert(
      hre.run('approve', { account: pendingManufacturer.address, from: '2' }),
      'AccessControlUnauthorizedAccount',
      manufacturer.address,
      await entities.REGISTRAR_ROLE(),
    );
    expect(await entities.isApproved(pendingManufacturer.address)).to.equal(false);
  });
});
