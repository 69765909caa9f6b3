import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import { createVirtualDevice, SIMULATED_MANUFACTURERS } from '../../agent/src/simulate';
import type { SimulatedExport } from '../../tasks/simulated';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import { recoverMintAttestationSigner } from '../../twin-core/src/signing/mintAttestation';
import type { TwinRegistry } from '../../typechain-types';
import { expectTaskError, useTaskEnvironment } from './taskHelpers';

const { ethers } = hre;

describe('Hardhat tasks: mint-simulated and export-simulated (in-process network)', function () {
  const { logged } = useTaskEnvironment();
  let twins: TwinRegistry;
  let deployment: Deployment;
  let manufacturer: string;
  let directory: string;

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), 'twin-simulated-'));
    deployment = (await hre.run('deploy', {})) as Deployment;
    twins = await ethers.getContractAt('TwinRegistry', deployment.contracts.TwinRegistry);
    manufacturer = (await ethers.getSigners())[2]!.address;
    const { account } = (await hre.run('register', { role: 'manufacturer', name: 'Sim Boards', from: '2' })) as {
      account: string;
    };
    await hre.run('approve', { account });
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('refuses to mint before the manufacturer holds the brands the devices name', async function () {
    await expectTaskError(
      hre.run('mint-simulated', { seed: '7', devices: 5, from: '2' }),
      `${manufacturer} may not mint "`,
      'register-brand',
    );
    for (const brand of SIMULATED_MANUFACTURERS) {
      await hre.run('register-brand', { brand, from: '2' });
      await hre.run('approve-brand', { account: manufacturer, brand });
    }
  });

  it("mints the seed's devices with their seeded keys' attestations, as the simulator will run them", async function () {
    const result = (await hre.run('mint-simulated', { seed: '7', devices: 5, from: '2', inFlight: 3 })) as {
      minted: number;
      existed: number;
      deviceIds: string[];
    };
    expect(result).to.include({ minted: 5, existed: 0 });
    for (let index = 0; index < 5; index++) {
      const device = createVirtualDevice('7', index);
      expect(result.deviceIds[index]).to.equal(device.deviceId);
      const twin = await twins.twinOf(device.deviceId);
      expect(twin.deviceSigner).to.equal(device.address);
      expect(twin.owner).to.equal(manufacturer);
    }
    expect(logged().join('\n')).to.include('Run them: npm run agent -- simulate --devices 5 --seed 7');
  });

  it('is idempotent: a second run mints only what is missing', async function () {
    const result = (await hre.run('mint-simulated', { seed: '7', devices: 7, from: '2' })) as {
      minted: number;
      existed: number;
    };
    expect(result).to.include({ minted: 2, existed: 5 });
    expect(await twins.totalMinted()).to.equal(7n);
  });

  it('export-simulated writes static documents, signers and attestations for another chain, never a key', async function () {
    const out = join(directory, 'export.json');
    const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
    await hre.run('export-simulated', {
      seed: '7',
      devices: 3,
      first: 10,
      manufacturer,
      chainId: 11155111,
      registry,
      out,
    });
    const exported = JSON.parse(readFileSync(out, 'utf8')) as SimulatedExport;
    expect(exported).to.include({ format: 'twin-registry/simulated-devices/v1', seed: '7', chainId: 11155111 });
    expect(exported.devices.map((device) => device.index)).to.deep.equal([10, 11, 12]);
    for (const device of exported.devices) {
      const virtual = createVirtualDevice('7', device.index);
      expect(device.deviceId).to.equal(virtual.deviceId);
      expect(device.deviceSigner).to.equal(virtual.address);
      expect(device.staticDocument).to.deep.equal(virtual.staticDocument);
      const parameters = { deviceId: device.deviceId, manufacturer, chainId: 11155111, registry };
      expect(recoverMintAttestationSigner(parameters, device.attestation)).to.equal(virtual.address);
    }
    expect(readFileSync(out, 'utf8')).to.not.include(createVirtualDevice('7', 10).privateKey.slice(2));
    // Attested for another chain and registry: refused here, naming what does not match.
    await expectTaskError(hre.run('mint-simulated', { file: out, from: '2' }), 'is attested for chainId 11155111');
  });

  it('mints an export made for this chain and registry, and refuses a malformed one', async function () {
    const out = join(directory, 'here.json');
    await hre.run('export-simulated', { seed: '7', devices: 2, first: 20, manufacturer, out });
    const exported = JSON.parse(readFileSync(out, 'utf8')) as SimulatedExport;
    expect(exported).to.include({ chainId: deployment.chainId, registry: deployment.contracts.TwinRegistry });
    const result = (await hre.run('mint-simulated', { file: out, from: '2' })) as { minted: number };
    expect(result.minted).to.equal(2);
    await expectTaskError(
      hre.run('mint-simulated', { file: out, from: '3' }),
      `is attested for manufacturer ${manufacturer.toLowerCase()}`,
    );
    const broken = join(directory, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...exported, devices: [{ ...exported.devices[0], attestation: '0x12' }] }));
    await expectTaskError(hre.run('mint-simulated', { file: broken, from: '2' }), 'devices.0.attestation');
    await expectTaskError(hre.run('mint-simulated', { from: '2' }), 'Give --seed and --devices');
    await expectTaskError(
      hre.run('mint-simulated', { seed: '7', devices: 0, from: '2' }),
      '--devices must be a positive',
    );
  });
});
